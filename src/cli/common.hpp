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
#include "dlrun/run/job/retry.hpp"

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

// A result's "gpu_failure": null, or {"id", "what", "fix"} of the failure with this id
// (docs/gpu-failures.md), as train and wait print it.
nlohmann::ordered_json gpu_failure_json(std::string_view id);

// Each attempt of a job, for --output json: its number, container, exit code, ending, GPU
// failure, why another followed (null for the last), DLRUN_RESUME_FROM and duration.
nlohmann::ordered_json attempts_json(const std::vector<run::Attempt>& attempts);

// Prints `error` the one way dlrun prints errors and returns its exit code.
int report(const Error& error);

// Applies --log-level / --quiet to dlrun's own messages (stderr).
void configure_logging(const GlobalOptions& options);

// --driver-version and --gpu-arch: facts about a Docker host dlrun cannot see.
void add_host_fact_options(CLI::App& command, resolve::HostFactsOverrides& host);

}  // namespace dlrun::cli
