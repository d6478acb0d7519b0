#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common.hpp"
#include "dlrun/jobspec/overrides.hpp"
#include "dlrun/resolve/host_facts.hpp"

namespace dlrun::cli {

struct TrainOptions {
  std::string spec_file;
  jobspec::Overrides overrides;
  bool dry_run = false;
  bool keep = false;
  bool rebuild = false;
  run::NodePlacement placement;  // --nodes, --node-rank, --master-addr, --master-port
  bool detach = false;
  bool allow_unsafe_mounts = false;
  std::string output = "text";             // json: one result object on stdout
  resolve::HostFactsOverrides host;        // --driver-version, --gpu-arch
  std::optional<std::string> catalog;      // --catalog
  std::optional<std::string> from_record;  // --from-record: a run record instead of a spec
};

void add_train_command(CLI::App& app, const GlobalOptions& global, int& exit_status);
Result<int> run_train(const TrainOptions& options, const GlobalOptions& global);

}  // namespace dlrun::cli
