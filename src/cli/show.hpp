#pragma once

#include <CLI/CLI.hpp>

#include "common.hpp"

namespace dlrun::cli {

// `dlrun show OUTPUTS`: a job's run record (dlrun-run.json), readably.
void add_show_command(CLI::App& app, int& exit_status);

}  // namespace dlrun::cli
