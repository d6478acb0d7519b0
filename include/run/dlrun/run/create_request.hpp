#pragma once

#include <string>

#include "dlrun/run/plan.hpp"

namespace dlrun::run {

enum class Secrets { revealed, masked };

inline constexpr std::string_view kMaskedSecret = "********";

// Deep-learning defaults that users otherwise learn the hard way (NVIDIA's framework container
// guide recommends the ulimits; the log cap keeps a kept job's log from filling the disk).
inline constexpr std::int64_t kStackBytes = 67108864;
inline constexpr std::string_view kLogMaxSize = "100m";
inline constexpr std::string_view kLogMaxFiles = "2";
inline constexpr int kStopGraceSeconds = 10;

// The exact JSON body of POST /containers/create for `plan`, pretty-printed when `indent` >= 0.
// The only place that knows the Engine API's container config.
std::string create_request_body(const ContainerPlan& plan, Secrets secrets, int indent = -1);

// A container that asks for every GPU and whose program does not exist: starting it exercises
// the daemon's GPU path (device driver, NVIDIA's hook) without running anything.
std::string gpu_probe_request_body(std::string_view image);

}  // namespace dlrun::run
