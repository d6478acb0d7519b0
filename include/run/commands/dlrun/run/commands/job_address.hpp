#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dlrun/engine/client.hpp"
#include "dlrun/error.hpp"
#include "dlrun/run/job/jobs.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"
#include "dlrun/signals.hpp"
#include "dlrun/user_files.hpp"

// One job address for dlrun ps, logs, attach, wait, stop and rm: a JOB argument names a
// container on the engine or a Slurm job that dlrun submit gave, and each command does the same
// to either. The commands print; this decides.
namespace dlrun::run {

// A job dlrun submit gave Slurm, with the directory that holds its record.
struct SubmittedRecord {
  std::filesystem::path dir;
  SubmittedJob job;
};

// Slurm is done with it, or no longer knows it.
bool slurm_job_over(const SlurmJobStatus& status);

// The engine is connected on first need: a command about Slurm jobs alone needs no engine (a
// login node may have none).
class JobAddresses {
 public:
  using Connect = std::function<Result<engine::EngineClient>()>;
  JobAddresses(Connect connect, const EnvLookup& env, std::string my_uid);

  // JOB as a user writes it: the id of a Slurm job dlrun submit gave, else a job on the engine
  // (an id, an unambiguous prefix, or a name only one job has). The invoking user's only.
  Result<std::variant<SubmittedRecord, JobRecord>> find(std::string_view reference);
  // The Slurm job dlrun submit gave under that id, if it is one.
  std::optional<SubmittedRecord> submitted(std::string_view reference) const;
  // Every record dlrun submit keeps, newest first.
  std::vector<SubmittedRecord> all_submitted() const;
  Result<engine::EngineClient*> engine();
  const std::string& my_uid() const { return my_uid_; }

 private:
  Connect connect_;
  std::optional<std::filesystem::path> records_;  // none without HOME
  std::string my_uid_;
  std::optional<engine::EngineClient> client_;
};

// dlrun ps: the jobs on the engine, each with its ending once it exited, and the jobs dlrun
// submit gave Slurm, each with Slurm's status.
struct ListedJob {
  JobRecord job;
  std::optional<Ending> ending;  // once it exited
};
struct SubmittedRow {
  SubmittedJob job;
  SlurmJobStatus status;
};
struct JobListing {
  std::vector<ListedJob> engine_jobs;
  std::vector<SubmittedRow> submitted;
};
// Without an engine but with submitted jobs, those are listed and the engine's absence warned.
Result<JobListing> list_all_jobs(JobAddresses& addresses, JobUsers users, JobStates states);

// dlrun logs: the job's output so far (and, following, to its end). `since`: seconds since the
// epoch, for an engine job only (a Slurm job's output is a file without times).
struct LogsRequest {
  std::optional<int> tail;
  bool follow = false;
  std::optional<std::int64_t> since;
};
Result<void> show_job_logs(JobAddresses& addresses, std::string_view reference,
                           const LogsRequest& request, int stdout_fd, int stderr_fd);

// dlrun attach: the job followed to its end, as if dlrun had never left it; its exit code.
Result<int> attach_to_job(JobAddresses& addresses, std::string_view reference,
                          std::optional<int> tail, SignalWatcher& signals);

// dlrun wait: how the job ended.
struct WaitOutcome {
  std::string id;
  std::string name;
  int exit_code = 0;
  std::string reason;                  // ending_name, or Slurm's: "time_limit", "cancelled", …
  std::optional<JobResult> on_engine;  // the engine's record of its run
  bool slurm = false;                  // a Slurm job dlrun submit gave
};
Result<WaitOutcome> wait_for_end(JobAddresses& addresses, std::string_view reference);

// What stop or rm did to one job.
struct JobAction {
  std::string id;
  std::string name;
  std::string action;  // "stopped", "cancelled", "removed"
};
Result<JobAction> stop_job(JobAddresses& addresses, std::string_view reference, int grace_seconds);

// dlrun rm: the named jobs, and with `finished` every finished one of the user's, each reported
// as it goes. Nothing is removed when one named job is still running.
enum class FinishedJobs { only_named, all };
Result<void> remove_jobs(JobAddresses& addresses, const std::vector<std::string>& references,
                         FinishedJobs finished,
                         const std::function<void(const JobAction&)>& report);

}  // namespace dlrun::run
