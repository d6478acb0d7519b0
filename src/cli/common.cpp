#include "common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "dlrun/engine/endpoint.hpp"

namespace dlrun::cli {

Result<run::Surroundings> surroundings_for(const GlobalOptions& global) {
  const EnvLookup env = process_environment();
  auto endpoint = engine::endpoint_from_environment(global.host, global.context, env);
  if (!endpoint) return std::unexpected(endpoint.error());
  return run::Surroundings{.endpoint = std::move(*endpoint), .env = env};
}

int report(const Error& error) {
  std::fprintf(stderr, "dlrun: error: %s\n", error.message.c_str());
  if (!error.hint.empty()) std::fprintf(stderr, "hint: %s\n", error.hint.c_str());
  return exit_code_for(error.kind);
}

void add_host_fact_options(CLI::App& command, resolve::HostFactsOverrides& host) {
  command.add_option(
      "--driver-version", host.driver_version,
      "The Docker host's NVIDIA driver, when dlrun cannot read it (remote host): 550.54.14");
  command
      .add_option("--gpu-arch", host.gpu_archs,
                  "Its GPUs' architectures, one per GPU in index order: sm_90 (repeatable)")
      ->allow_extra_args(false);
}

void configure_logging(const GlobalOptions& options) {
  auto logger = spdlog::stderr_color_mt("dlrun");
  logger->set_pattern("dlrun: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  auto level = spdlog::level::from_str(options.log_level);
  if (options.quiet) level = spdlog::level::warn;
  spdlog::set_level(level);
  spdlog::flush_on(spdlog::level::trace);
}

Result<engine::EngineClient> connect_to(const GlobalOptions& global) {
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  return run::connect(*surroundings);
}

std::string invoking_uid() {
  return std::to_string(getuid());
}

CLI::Option* add_output_option(CLI::App& command, std::string& output, const std::string& json) {
  return command.add_option("--output", output, "text, or json: " + json)
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace dlrun::cli
