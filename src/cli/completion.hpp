#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "common.hpp"

namespace dlrun::cli {

// `dlrun completion SHELL`: bash, zsh and fish scripts generated from `app`'s own commands and
// options (so they cannot drift from them), and the hidden `__complete-jobs` they ask for job
// ids and names. Add it last: it describes the commands added before it.
void add_completion_commands(CLI::App& app, const GlobalOptions& global, int& exit_status);

// The completion script for `shell` (bash, zsh or fish) of `app`'s commands.
std::string completion_script(const CLI::App& app, std::string_view shell);

}  // namespace dlrun::cli
