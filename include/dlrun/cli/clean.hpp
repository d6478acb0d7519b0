#pragma once

#include <CLI/CLI.hpp>

#include "dlrun/cli/common.hpp"
#include "dlrun/engine/client.hpp"

namespace dlrun::cli {

struct CleanOptions {
  bool running = false;  // also the orphans that still run
  bool dry_run = false;
};

void add_clean_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_clean(const CleanOptions& options, const GlobalOptions& global);

// What every `dlrun train` does first: removes the finished containers of dlruns that were
// killed, and warns about ones that still run. Engine trouble here is only a warning.
void remove_finished_orphans(engine::EngineClient& client);

}  // namespace dlrun::cli
