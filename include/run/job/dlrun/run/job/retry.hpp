#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/run/job/job.hpp"

// A job's retry policy applied: which endings start another attempt, how long before it, and the
// checkpoint the next attempt resumes from (docs/retries.md).
namespace dlrun::run {

// Why `exit` starts another attempt under `policy` ("exit code 3", "a GPU failure (nvml-lost)",
// "out of memory"); nullopt where it does not: a success, a stop, a timeout, a detach, or an
// ending the policy does not name.
std::optional<std::string> retry_reason(const jobspec::RetryPolicy& policy, const JobExit& exit);

// Whether `error`, met while the job ran, says the engine went away under it (a restart, a
// crash), which `engine-restart` retries once the engine answers again.
bool engine_went_away(const Error& error);

// The pause before attempt `next` (2, 3, …): `delay`, doubled for each attempt after the second,
// at most `max_delay`.
std::chrono::seconds retry_delay(const jobspec::RetryPolicy& policy, int next);

// The newest file or directory under `outputs` that `pattern` (a glob relative to it) matches,
// by modification time and then by name, as a path relative to `outputs`; nullopt when none
// does (or `outputs` cannot be read).
std::optional<std::string> newest_checkpoint(const std::filesystem::path& outputs,
                                             const std::string& pattern);

// One attempt of a job, as train's result and --output json show it.
struct Attempt {
  int number = 1;
  JobExit exit;
  std::string container;     // its container's name
  std::string retry_reason;  // why another attempt followed; empty for the last
  std::string resume_from;   // its DLRUN_RESUME_FROM; empty: none
  double seconds = 0;        // from its create to its end
};

}  // namespace dlrun::run
