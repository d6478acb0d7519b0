#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common.hpp"
#include "dlrun/resolve/host_facts.hpp"

namespace dlrun::cli {

struct ImagesOptions {
  std::optional<std::string> spec_file;  // only the images its framework request could use
  std::optional<std::string> framework;  // --framework
  std::string output = "text";           // text, json
  resolve::HostFactsOverrides host;
  std::optional<std::string> catalog;  // --catalog
};

void add_images_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_images(const ImagesOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
