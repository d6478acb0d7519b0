#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"

// Jobs `dlrun submit` gave Slurm: the record dlrun keeps of each (the spec, where its output
// goes), and what Slurm says of it (scontrol while slurmctld remembers the job, sacct where the
// cluster keeps accounting, the script's own exit file after that).
namespace dlrun::run {

struct SubmittedJob {
  std::string id;  // Slurm's job id
  std::string name;
  std::string spec;
  std::filesystem::path output;  // Slurm's output file for the job
  std::int64_t submitted = 0;    // seconds since the epoch
  int nodes = 1;
};

// Where the records and the jobs' output live: $XDG_STATE_HOME/dlrun/slurm, else
// ~/.local/state/dlrun/slurm (a home directory the cluster's nodes share).
Result<std::filesystem::path> submitted_jobs_dir(const EnvLookup& env);

Result<void> remember_submitted(const std::filesystem::path& dir, const SubmittedJob& job);
std::vector<SubmittedJob> submitted_jobs(const std::filesystem::path& dir);  // newest first
// The record of Slurm job `reference` (its id), if dlrun submitted it.
std::optional<SubmittedJob> find_submitted(const std::filesystem::path& dir,
                                           std::string_view reference);
void forget_submitted(const std::filesystem::path& dir, const SubmittedJob& job);

// One job as `scontrol show job --oneliner` describes it: Key=Value words.
std::map<std::string, std::string> parse_scontrol_job(std::string_view line);

// What Slurm says of a job. state is Slurm's (PENDING, RUNNING, COMPLETED, TIMEOUT, …), or
// UNKNOWN when no source remembers it.
struct SlurmJobStatus {
  std::string state;
  std::string reason;            // why pending, or Slurm's reason for the end
  std::optional<int> exit_code;  // the batch script's: dlrun train's on the nodes
  std::string time_limit;
  std::string run_time;
  std::string nodelist;
  std::string partition;
  std::string output;  // StdOut, as Slurm expanded it
};

// A job that has ended for good (COMPLETING is not: its processes are still being stopped).
bool slurm_job_finished(std::string_view state);

// A status from scontrol's words for the job (JobState, ExitCode "N:S", …).
SlurmJobStatus status_from_scontrol(const std::map<std::string, std::string>& words);

// Asks Slurm about the jobs, one scontrol for all of them; those it no longer knows are asked of
// sacct, then of their exit files. Fails only when Slurm's commands cannot be run at all.
Result<std::map<std::string, SlurmJobStatus>> slurm_job_statuses(
    const std::filesystem::path& dir, const std::vector<SubmittedJob>& jobs);
Result<SlurmJobStatus> slurm_job_status(const std::filesystem::path& dir, const SubmittedJob& job);

// dlrun's exit code for a finished job and the reason's name: the job's own (dlrun train's on
// the nodes) when the script ended; 124 time_limit, 143 cancelled, 137 out_of_memory when Slurm
// ended it; 125 for a node failure, preemption and the like (the reason is Slurm's state).
struct SlurmOutcome {
  int exit_code = 0;
  std::string reason;
};
SlurmOutcome slurm_outcome(const SlurmJobStatus& status);

// "pending", "running", "succeeded", "failed", "time_limit", "cancelled", …: for ps and JSON.
std::string slurm_state_name(const SlurmJobStatus& status);

// Waits for the job to end, asking Slurm every second; its outcome.
Result<SlurmOutcome> wait_for_submitted(const std::filesystem::path& dir, const SubmittedJob& job);

// Copies the job's output to `out_fd`: the last `tail` lines only where given; with `follow`,
// what it writes next too, until the job ends.
Result<void> submitted_job_logs(const std::filesystem::path& dir, const SubmittedJob& job,
                                std::optional<int> tail, bool follow, int out_fd);

// scancel: Slurm stops the job's steps (SIGTERM, then SIGKILL after KillWait); each node's dlrun
// stops and removes its container.
Result<void> cancel_submitted(const SubmittedJob& job);

// The cluster's KillWait (scontrol show config), the time between Slurm's SIGTERM and SIGKILL.
std::optional<int> slurm_kill_wait_seconds();

// Whether Slurm job `id` still has processes somewhere: false once it ended (or Slurm no longer
// knows it), nullopt when Slurm cannot be asked.
std::optional<bool> slurm_job_alive(const std::string& id);

}  // namespace dlrun::run
