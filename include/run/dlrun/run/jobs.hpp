#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/engine/client.hpp"

// dlrun's jobs on an engine, found by the labels dlrun puts on their containers (the labels are
// the record: no server and no file of dlrun's own), for ps, logs, wait, stop and rm.
namespace dlrun::run {

struct JobRecord {
  std::string id;
  std::string container;  // dlrun-NAME-xxxxxx
  std::string name;       // the job's name
  std::string state;      // running, exited, created, …
  std::string status;     // the daemon's words: "Exited (0) 2 minutes ago"
  std::string image;
  std::int64_t created = 0;  // seconds since the epoch
  std::string user;          // the uid that ran it
  std::string owner;         // the dlrun process that started it, when one watched it
};

enum class JobUsers { mine, everyone };
enum class JobStates { active, all };  // active: created or running

// The jobs on the engine: one request.
Result<std::vector<JobRecord>> list_jobs(engine::EngineClient& client, JobUsers users,
                                         JobStates states, std::string_view my_uid);

// JOB as a user writes it: an id, an unambiguous id prefix, or a name only one job has. The
// invoking user's jobs only; another user's is refused with whose it is.
Result<JobRecord> find_job(engine::EngineClient& client, std::string_view reference,
                           std::string_view my_uid);

// The job's kept output, stdout to `stdout_fd` and stderr to `stderr_fd`, byte for byte.
Result<void> job_logs(engine::EngineClient& client, const JobRecord& job, engine::LogsFollow follow,
                      std::optional<int> tail, int stdout_fd, int stderr_fd);

// Blocks until the job ends; its exit code as `dlrun train` would report it (137 for an OOM kill).
Result<int> wait_for_job(engine::EngineClient& client, const JobRecord& job);

}  // namespace dlrun::run
