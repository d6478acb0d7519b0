#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"

namespace dlrun::jobspec {

// Command-line values that win over the spec's.
struct Overrides {
  std::optional<std::string> name;
  std::optional<std::string> image;
  std::optional<std::string> gpus;            // --gpus syntax: "all", "2", "0,2"
  std::optional<std::string> gpu_path;        // auto, cdi, legacy
  std::optional<std::string> timeout;         // "6h"
  std::optional<int> attempts;                // retry.attempts; a policy of defaults if none
  std::vector<std::string> env;               // "KEY=VALUE"
  std::vector<std::string> extra_args;        // after `--`: appended to the command
  std::optional<std::string> pull;            // missing, always, never
  std::vector<std::string> registry_mirrors;  // "docker.io=mirror.example:5000"
};

Result<void> apply_overrides(JobSpec& spec, const Overrides& overrides);

}  // namespace dlrun::jobspec
