#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"

// `dlrun submit`: a spec as a Slurm batch job whose script runs `dlrun train` once per node.
// Slurm schedules; dlrun only writes what sbatch reads.
namespace dlrun::run {

struct SubmitOptions {
  std::string partition;
  std::string time;  // Slurm's forms (90, 1:30:00, 2-00) or dlrun's (6h, 1h30m)
  std::optional<int> nodes;
  std::optional<int> gpus_per_node;
  std::string account;
  std::vector<std::string> sbatch_args;    // passed to sbatch as they are, after dlrun's own
  std::vector<std::string> dlrun_options;  // dlrun's own before `train` on the nodes (--host)
};

struct BatchJob {
  std::string script;
  std::vector<std::string> sbatch_command;  // sbatch --parsable … SCRIPT_FILE
};

// The batch script and the sbatch line for `spec` (read from `spec_file`, an absolute path), run
// by `dlrun_binary` on each node; Slurm writes the job's output to `records_dir`/JOBID.out and
// the script its exit code to JOBID.exit. GPUs per node come from the flag, else the spec:
// "all" asks Slurm for whole nodes (--exclusive, which gives a job every GPU of its nodes), a
// count for that many; GPU ids are refused (Slurm chooses which GPUs a job gets).
Result<BatchJob> batch_job(const jobspec::JobSpec& spec, const std::filesystem::path& spec_file,
                           const std::filesystem::path& dlrun_binary, const SubmitOptions& options,
                           const std::filesystem::path& records_dir,
                           const std::filesystem::path& script_file);

// A time limit as sbatch's --time takes it: Slurm's own forms pass as they are; dlrun's
// durations ("6h", "1h30m", "90s") become D-HH:MM:SS.
Result<std::string> slurm_time_limit(std::string_view text);

}  // namespace dlrun::run
