#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/json_text.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/run/commands/train.hpp"

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

// The client of that daemon, connected: for the commands that only talk to the engine.
Result<engine::EngineClient> connect_to(const GlobalOptions& global);

// The invoking user's uid as the dlrun.user label records it.
std::string invoking_uid();

// --output text|json, with what the JSON holds in its description (shown by --help, offered by
// completion).
CLI::Option* add_output_option(CLI::App& command, std::string& output, const std::string& json);

// "0.1.0 (commit abcdef123456)": dlrun's version and the source's commit (", modified" for a
// work tree with changes).
std::string version_text();

// Prints `error` the one way dlrun prints errors and returns its exit code.
int report(const Error& error);

// Applies --log-level / --quiet to dlrun's own messages (stderr).
void configure_logging(const GlobalOptions& options);

// --driver-version and --gpu-arch: facts about a Docker host dlrun cannot see.
void add_host_fact_options(CLI::App& command, resolve::HostFactsOverrides& host);

}  // namespace dlrun::cli
