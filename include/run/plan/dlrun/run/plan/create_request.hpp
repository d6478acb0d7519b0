#pragma once

#include <string>

#include "dlrun/run/plan/plan.hpp"

namespace dlrun::run {

enum class Secrets { revealed, masked };

inline constexpr std::string_view kMaskedSecret = "********";

// The exact JSON body of POST /containers/create for `plan`, pretty-printed when `indent` >= 0.
// The only place that knows the Engine API's container config.
std::string create_request_body(const ContainerPlan& plan, Secrets secrets, int indent = -1);

// A container that asks for every GPU (by `path`: NVIDIA's hook unless it says CDI) and whose
// program does not exist: starting it exercises the daemon's GPU path (device driver, NVIDIA's
// hook, CDI injection) without running anything.
std::string gpu_probe_request_body(std::string_view image, const PlannedGpus& path = {});

// A container that asks for `ulimits` (and an init process, with `init`) and runs nothing:
// starting it shows whether the daemon grants them (it sets both up before it looks for the
// program).
std::string limits_probe_request_body(std::string_view image,
                                      const std::vector<PlannedUlimit>& ulimits, bool init);

}  // namespace dlrun::run
