#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common.hpp"

namespace dlrun::cli {

struct BuildOptions {
  std::string spec_file;
  bool print = false;
  bool rebuild = false;
  std::string output = "text";  // json: {"spec", "tag", "base", "built"}
  resolve::HostFactsOverrides host;
  std::optional<std::string> catalog;
};

void add_build_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_build(const BuildOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
