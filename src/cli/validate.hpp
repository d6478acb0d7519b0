#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common.hpp"

namespace dlrun::cli {

struct ValidateOptions {
  std::string spec_file;
  bool allow_unsafe_mounts = false;
  std::string output = "text";
};

void add_validate_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
// `dlrun schema`: the spec's JSON Schema.
void add_schema_command(CLI::App& app, int& exit_status);
Result<int> run_validate(const ValidateOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
