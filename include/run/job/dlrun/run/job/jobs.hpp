#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/job/job.hpp"

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
  std::string base_image;    // what `image` was built from (a spec's "build"); empty if not built
  std::int64_t created = 0;  // seconds since the epoch
  std::string user;          // the uid that ran it
  std::string owner;         // the dlrun process that started it, when one watched it
  std::string gpus;          // as asked for: "all", "2", "0,3"; empty: none
  bool has_timeout = false;  // dlrun-timeout keeps a deadline in it
  std::string attempt;       // of a retry policy: "2/3" (its 2nd attempt of 3); empty: none
  std::optional<int> exit_code;           // once it exited, from the daemon's status
  std::optional<std::int64_t> ended_ago;  // likewise, roughly: the daemon rounds it for people
};

// What became of the job. The list the record came from cannot tell an OOM kill from a kill:
// a job that exited with 137 costs one inspect.
Result<Ending> job_ending(engine::EngineClient& client, const JobRecord& job);

// A finished job's result, as `dlrun wait` reports it.
struct JobResult {
  int exit_code = 0;
  Ending ending = Ending::succeeded;
  std::string started_at;   // RFC 3339
  std::string finished_at;  // RFC 3339
  double duration_seconds = 0;
  std::string image;
  std::string gpu_failure;  // its log's end showed a GPU failure: gpu_failures()'s id
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
Result<void> job_logs(engine::EngineClient& client, const JobRecord& job,
                      const engine::LogsQuery& query, int stdout_fd, int stderr_fd);

// Blocks until the job ends; its exit code as `dlrun train` would report it (137 for an OOM kill).
Result<JobResult> wait_for_job(engine::EngineClient& client, const JobRecord& job);

// The daemon's status words ("Exited (137) 5 minutes ago"): the exit code, and about how long ago.
struct ExitedStatus {
  int exit_code = 0;
  std::optional<std::int64_t> ago_seconds;
};
std::optional<ExitedStatus> parse_exited_status(std::string_view status);

}  // namespace dlrun::run
