#include "dlrun/run/commands/from_record.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/jobspec/exec_limits.hpp"
#include "dlrun/jobspec/problems.hpp"
#include "dlrun/run/job/run_record.hpp"

namespace dlrun::run {
namespace {

using Json = nlohmann::json;

std::unexpected<Error> not_a_record(const std::filesystem::path& file, std::string_view why) {
  return fail(ErrorKind::usage, file.string() + " is not a dlrun run record: " + std::string(why),
              "give the dlrun-run.json a job left in its outputs (docs/run-record.md)");
}

// The command line's changes as the record keeps them (run_record.cpp writes them).
jobspec::Overrides recorded_overrides(const Json& recorded) {
  jobspec::Overrides overrides;
  const auto take = [&](const char* key, std::optional<std::string>& field) {
    if (recorded.contains(key) && recorded[key].is_string())
      field = recorded[key].get<std::string>();
  };
  take("name", overrides.name);
  take("image", overrides.image);
  take("gpus", overrides.gpus);
  take("gpu_path", overrides.gpu_path);
  take("timeout", overrides.timeout);
  take("pull", overrides.pull);
  if (recorded.contains("attempts") && recorded["attempts"].is_number_integer())
    overrides.attempts = recorded["attempts"].get<int>();
  const auto take_list = [&](const char* key, std::vector<std::string>& field) {
    if (recorded.contains(key) && recorded[key].is_array())
      field = recorded[key].get<std::vector<std::string>>();
  };
  take_list("env", overrides.env);
  take_list("args", overrides.extra_args);
  take_list("registry_mirrors", overrides.registry_mirrors);
  return overrides;
}

// Then's changes, and now's over them: a value given now wins; lists add up.
jobspec::Overrides combined(jobspec::Overrides then, const jobspec::Overrides& now) {
  const auto over = [](auto& field, const auto& newer) {
    if (newer) field = newer;
  };
  over(then.name, now.name);
  over(then.image, now.image);
  over(then.gpus, now.gpus);
  over(then.gpu_path, now.gpu_path);
  over(then.timeout, now.timeout);
  over(then.pull, now.pull);
  over(then.attempts, now.attempts);
  then.env.insert(then.env.end(), now.env.begin(), now.env.end());
  then.extra_args.insert(then.extra_args.end(), now.extra_args.begin(), now.extra_args.end());
  then.registry_mirrors.insert(then.registry_mirrors.end(), now.registry_mirrors.begin(),
                               now.registry_mirrors.end());
  return then;
}

// "registry:5000/team/image:tag" without its tag, as a repository digest names it.
std::string without_tag(const std::string& name) {
  const auto slash = name.rfind('/');
  const auto colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return name;
  return name.substr(0, colon);
}

}  // namespace

Result<RecordedJob> load_recorded_job(const std::filesystem::path& record_file,
                                      const jobspec::Overrides& now, const EnvLookup& env) {
  std::filesystem::path file = record_file;
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) file /= kRunRecordFile;
  const std::ifstream in(file);
  if (!in) {
    return fail(ErrorKind::usage, "cannot read the run record " + file.string(),
                "give a job's dlrun-run.json, or the outputs directory that holds it");
  }
  std::stringstream text;
  text << in.rdbuf();
  const Json record = Json::parse(text.str(), nullptr, false);
  if (record.is_discarded() || !record.is_object()) return not_a_record(file, "not JSON");
  if (record.value("record", 0) != kRunRecordFormat)
    return not_a_record(file, "not format " + std::to_string(kRunRecordFormat));
  const Json& spec = record.value("spec", Json::object());
  const Json& image = record.value("image", Json::object());
  if (!spec.contains("document") || !spec["document"].is_object() || !spec.contains("file") ||
      !spec["file"].is_string() || !image.contains("name")) {
    return not_a_record(file, "its spec or image is missing");
  }

  const std::filesystem::path spec_file = spec["file"].get<std::string>();
  RecordedJob job{
      .loaded = {},
      .spec_file = spec_file,
      .overrides = combined(recorded_overrides(spec.value("overrides", Json::object())), now)};
  // Read as from its own place, so that its relative mounts and outputs are those of then.
  const std::string document = spec["document"].dump();
  auto parsed =
      jobspec::parse_job_spec(document, spec_file.parent_path(), spec_file.stem().string(), env);
  if (!parsed) return std::unexpected(jobspec::to_error(parsed.error(), file.string()));
  if (auto applied = jobspec::apply_overrides(*parsed, job.overrides); !applied)
    return std::unexpected(applied.error());

  // The image as it ran: by digest where it was pulled, else by id (built, or imported).
  const std::string name = image["name"].get<std::string>();
  const Json digests = image.value("digests", Json::array());
  std::string pinned;
  const std::string repository = without_tag(name);
  for (const auto& digest : digests) {
    if (!digest.is_string()) continue;
    const std::string reference = digest.get<std::string>();
    if (pinned.empty() || reference.starts_with(repository + "@")) pinned = reference;
  }
  if (pinned.empty() && image.value("id", Json()).is_string())
    pinned = image["id"].get<std::string>();
  if (pinned.empty()) return not_a_record(file, "its image has neither a digest nor an id");
  parsed->image = pinned;
  parsed->framework.reset();
  parsed->build.reset();  // a built image is pinned by its id: the record's image is what ran
  if (auto fits = jobspec::check_exec_sizes(*parsed); !fits) return std::unexpected(fits.error());

  job.loaded =
      jobspec::LoadedSpec{std::move(*parsed), spec.value("digest", std::string()), document};
  return job;
}

}  // namespace dlrun::run
