#pragma once

#include <CLI/CLI.hpp>

#include "common.hpp"

namespace dlrun::cli {

// `dlrun completion SHELL`: bash, zsh and fish scripts generated from `app`'s own commands and
// options (so they cannot drift from them), and the hidden `__complete-jobs` they ask for job
// ids and names. Add it last: it describes the commands added before it.
void add_completion_commands(CLI::App& app, const GlobalOptions& global, int& exit_status);

}  // namespace dlrun::cli
