#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common.hpp"
#include "dlrun/engine/client.hpp"

namespace dlrun::cli {

struct CleanOptions {
  bool running = false;  // also the orphans that still run
  bool dry_run = false;
  std::string slurm_job;  // --slurm-job: that Slurm job's containers, whoever started them
  std::string output = "text";
};

void add_clean_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_clean(const CleanOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
