#include "dlrun/cli/common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace dlrun::cli {

int report(const Error& error) {
  std::fprintf(stderr, "dlrun: error: %s\n", error.message.c_str());
  if (!error.hint.empty()) std::fprintf(stderr, "hint: %s\n", error.hint.c_str());
  return exit_code_for(error.kind);
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

}  // namespace dlrun::cli
