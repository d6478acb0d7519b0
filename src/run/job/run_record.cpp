#include "dlrun/run/job/run_record.hpp"

#include <ctime>
#include <sstream>

#include "dlrun/exit_codes.hpp"
#include "dlrun/process.hpp"
#include "dlrun/run/job/job_json.hpp"
#include "dlrun/text.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::run {
namespace {

using Json = nlohmann::ordered_json;

Json or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

Json overrides_json(const jobspec::Overrides& overrides) {
  Json out = Json::object();
  const auto put = [&](const char* key, const std::optional<std::string>& value) {
    if (value) out[key] = *value;
  };
  put("name", overrides.name);
  put("image", overrides.image);
  put("gpus", overrides.gpus);
  put("gpu_path", overrides.gpu_path);
  put("timeout", overrides.timeout);
  if (overrides.attempts) out["attempts"] = *overrides.attempts;
  if (!overrides.env.empty()) out["env"] = overrides.env;
  if (!overrides.extra_args.empty()) out["args"] = overrides.extra_args;
  put("pull", overrides.pull);
  if (!overrides.registry_mirrors.empty()) out["registry_mirrors"] = overrides.registry_mirrors;
  return out;
}

// `git status --porcelain=v2 --branch` of a work tree: its HEAD, and whether tracked files
// changed. nullopt where `path` is in no work tree (or git is not installed).
std::optional<CodeVersion> git_version(const std::string& path) {
  const CapturedRun status = run_captured(
      {"git", "-C", path, "status", "--porcelain=v2", "--branch", "--untracked-files=no"});
  if (status.exit_code != 0) return std::nullopt;
  CodeVersion version;
  std::istringstream lines(status.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# branch.oid ")) {
      version.commit = line.substr(std::string_view("# branch.oid ").size());
    } else if (!line.starts_with("#")) {
      version.dirty = true;
    }
  }
  // A repository without a commit yet says "(initial)": no version to record.
  if (version.commit.empty() || version.commit == "(initial)") return std::nullopt;
  return version;
}

}  // namespace

std::vector<CodeVersion> code_versions(const ContainerPlan& plan) {
  std::vector<CodeVersion> versions;
  for (const PlannedMount& mount : plan.mounts) {
    if (mount.type != MountType::bind || mount.target == jobspec::kOutputsTarget) continue;
    std::error_code error;
    if (!std::filesystem::is_directory(mount.source, error)) continue;
    if (auto version = git_version(mount.source)) {
      version->target = mount.target;
      version->source = mount.source;
      versions.push_back(std::move(*version));
    }
  }
  return versions;
}

std::string utc_now() {
  return utc_text(std::time(nullptr), UtcForm::time);
}

Json run_record_json(const RunRecord& record) {
  Json build = nullptr;
  if (!record.build.empty()) {
    build = Json::object();
    for (const auto& [key, value] : record.build) build[key] = value;
  }
  Json gpus = Json::array();
  for (const RecordedGpu& gpu : record.gpus) {
    gpus.push_back({{"index", gpu.index},
                    {"uuid", or_null(gpu.uuid)},
                    {"name", or_null(gpu.name)},
                    {"architecture", or_null(gpu.architecture)}});
  }
  Json code = Json::array();
  for (const CodeVersion& version : record.code) {
    code.push_back({{"mount", version.target},
                    {"source", version.source},
                    {"commit", version.commit},
                    {"dirty", version.dirty}});
  }
  // The spec parsed once already: its text is JSON.
  const Json document = Json::parse(record.spec_text, nullptr, false);
  return Json{{"record", kRunRecordFormat},
              {"dlrun", record.dlrun_version},
              {"job", record.job},
              {"spec",
               {{"file", record.spec_file.string()},
                {"digest", record.spec_digest},
                {"document", document.is_discarded() ? Json(nullptr) : document},
                {"overrides", overrides_json(record.overrides)}}},
              {"image",
               {{"name", record.image},
                {"id", or_null(record.image_id)},
                {"digests", record.image_digests},
                {"build", build}}},
              {"engine",
               {{"name", record.engine},
                {"api", or_null(record.engine_api)},
                {"address", record.engine_address}}},
              {"host",
               {{"driver", record.driver ? Json(*record.driver) : Json(nullptr)},
                {"cuda", record.cuda ? Json(*record.cuda) : Json(nullptr)}}},
              {"gpus", gpus},
              {"code", code},
              {"container", record.container},
              {"started", record.started},
              {"ended", or_null(record.ended)},
              {"attempts", attempts_json(record.attempts)},
              {"exit_code", record.exit ? Json(record.exit->exit_code) : Json(nullptr)},
              {"reason",
               record.exit ? Json(std::string(ending_name(record.exit->ending))) : Json(nullptr)}};
}

Result<void> write_run_record(const std::filesystem::path& outputs, const RunRecord& record) {
  const auto path = outputs / kRunRecordFile;
  if (write_file_atomically(path, run_record_json(record).dump(2) + "\n")) return {};
  return fail(ErrorKind::io, "could not write the run record " + path.string(),
              "check that the outputs directory is writable by you");
}

}  // namespace dlrun::run
