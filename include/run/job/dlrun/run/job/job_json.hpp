#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "dlrun/run/job/retry.hpp"

// A job's ending as JSON, in the one shape train, wait and the run record (run_record.hpp) share
// (docs/exit-codes.md).
namespace dlrun::run {

// null, or {"id", "what", "fix"} of the GPU failure with this id (docs/gpu-failures.md).
nlohmann::ordered_json gpu_failure_json(std::string_view id);

// Each attempt: its number, container, exit code, ending, GPU failure, why another followed
// (null for the last), DLRUN_RESUME_FROM and duration (docs/retries.md).
nlohmann::ordered_json attempts_json(const std::vector<Attempt>& attempts);

}  // namespace dlrun::run
