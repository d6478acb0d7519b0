#pragma once

#include <CLI/CLI.hpp>

#include "common.hpp"

// `dlrun submit`: a spec as a Slurm batch job.
namespace dlrun::cli {

void add_submit_command(CLI::App& app, const GlobalOptions& global, int& exit_status);

}  // namespace dlrun::cli
