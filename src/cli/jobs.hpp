#pragma once

#include <CLI/CLI.hpp>

#include "common.hpp"

// The commands for jobs that outlive the dlrun that started them (train --detach): ps, logs,
// wait, stop, rm. They share how a job is named and found, so they share a file.
namespace dlrun::cli {

void add_job_commands(CLI::App& app, const GlobalOptions& global, int& exit_status);

}  // namespace dlrun::cli
