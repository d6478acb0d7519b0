#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/overrides.hpp"
#include "dlrun/run/job/retry.hpp"
#include "dlrun/run/plan/plan.hpp"

// dlrun-run.json: what ran, kept beside what it made — the spec as written and the command
// line's changes, the image by id and digest (and what it was built from), the engine, the
// host's driver and the job's GPUs, the code's git commit, the times, the attempts and the
// exit (docs/run-record.md; its schema is docs/dlrun-run.schema.json).
namespace dlrun::run {

inline constexpr std::string_view kRunRecordFile = "dlrun-run.json";
inline constexpr int kRunRecordFormat = 1;

// A mounted source's code version, where the source is in a git work tree.
struct CodeVersion {
  std::string target;  // where the job sees it
  std::string source;  // the host path
  std::string commit;  // its work tree's HEAD
  bool dirty = false;  // tracked files changed and not committed when the job started
};

// The git work trees among `plan`'s bind mounts, as git itself says (nothing where git is not
// installed, or a source is no work tree).
std::vector<CodeVersion> code_versions(const ContainerPlan& plan);

struct RecordedGpu {
  int index = 0;
  std::string uuid;
  std::string name;
  std::string architecture;  // "sm_90"; empty where unknown
};

struct RunRecord {
  std::string dlrun_version;  // "0.1.0 (commit abcdef123456)"
  std::string job;
  std::filesystem::path spec_file;  // absolute
  std::string spec_digest;          // sha256 of its bytes
  std::string spec_text;            // as written: secrets are only named in it (from_env)
  jobspec::Overrides overrides;     // the command line's changes to it
  std::string image;                // as the engine ran it
  std::string image_id;
  std::vector<std::string> image_digests;    // repository@sha256:…, where pulled
  std::map<std::string, std::string> build;  // a built image's dlrun.build.* labels
  std::string engine;                        // "Docker 20.10.24"
  std::string engine_api;                    // "1.41"
  std::string engine_address;                // as DOCKER_HOST would say it
  std::optional<std::string> driver;         // the host's NVIDIA driver
  std::optional<std::string> cuda;           // the newest CUDA it supports
  std::vector<RecordedGpu> gpus;             // the job's
  std::vector<CodeVersion> code;
  std::string container;  // the last attempt's
  std::string started;    // RFC 3339, UTC
  std::string ended;      // empty while it runs (or for a detached job)
  std::vector<Attempt> attempts;
  std::optional<JobExit> exit;  // nullopt while it runs
};

// The record as JSON, in the shape docs/dlrun-run.schema.json describes.
nlohmann::ordered_json run_record_json(const RunRecord& record);

// Writes it as OUTPUTS/dlrun-run.json, at once (never half a file).
Result<void> write_run_record(const std::filesystem::path& outputs, const RunRecord& record);

// Now, as the record writes times: "2026-12-08T01:50:00Z".
std::string utc_now();

}  // namespace dlrun::run
