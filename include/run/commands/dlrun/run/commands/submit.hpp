#pragma once

#include <filesystem>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/run/slurm/slurm_batch.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"
#include "dlrun/user_files.hpp"

// `dlrun submit` from top to bottom: the spec, the batch script that runs `dlrun train` on each
// node, sbatch, and the record that ps, logs, wait, stop and rm read.
namespace dlrun::run {

struct SubmitRequest {
  std::filesystem::path spec_file;
  SubmitOptions options;
};

// The script and the sbatch line a submission would use, with SCRIPT for the script's file.
Result<BatchJob> plan_submission(const SubmitRequest& request, const EnvLookup& env);

// What sbatch accepted: the job's record (its id, name, output) and its script.
struct Submission {
  SubmittedJob job;
  std::filesystem::path script;
};

// Writes the script beside the records, submits it, and records the job. A refusal of sbatch's
// leaves no script behind, and says what sbatch said.
Result<Submission> submit(const SubmitRequest& request, const EnvLookup& env);

}  // namespace dlrun::run
