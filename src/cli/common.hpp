#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/run/train.hpp"

namespace dlrun::cli {

// Options every command shares.
struct GlobalOptions {
  std::string host;     // --host, else $DOCKER_HOST
  std::string context;  // --context: a docker CLI context, by name
  std::string log_level = "info";
  bool quiet = false;
};

// The Docker daemon the global flags (and the environment) name, with the process's
// environment: what every command that talks to the engine starts from.
Result<run::Surroundings> surroundings_for(const GlobalOptions& global);

// Prints `error` the one way dlrun prints errors and returns its exit code.
int report(const Error& error);

// Applies --log-level / --quiet to dlrun's own messages (stderr).
void configure_logging(const GlobalOptions& options);

// --driver-version and --gpu-arch: facts about a Docker host dlrun cannot see.
void add_host_fact_options(CLI::App& command, resolve::HostFactsOverrides& host);

}  // namespace dlrun::cli
