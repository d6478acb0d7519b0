#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common.hpp"
#include "dlrun/resolve/host_facts.hpp"

namespace dlrun::cli {

struct DoctorOptions {
  std::string output = "text";  // text, json
  resolve::HostFactsOverrides host;
  std::optional<std::string> catalog;  // --catalog
};

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_doctor(const DoctorOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
