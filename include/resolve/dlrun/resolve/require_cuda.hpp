#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/resolve/host_facts.hpp"

// NVIDIA_REQUIRE_CUDA and friends, evaluated as the NVIDIA Container Toolkit evaluates them
// (libnvidia-container src/cli/dsl.c): terms separated by spaces are OR'ed, conditions within
// a term separated by commas are AND'ed; `cuda` and `driver` compare versions, `arch` each
// GPU's compute capability, `brand` each GPU's brand (= and != only). Checked once per GPU;
// without GPUs, once, with `arch` and `brand` passing. Unknown host values pass.
namespace dlrun::resolve {

// The requirements an image's environment ("K=V" strings) states: every NVIDIA_REQUIRE_*
// except _JETPACK; a legacy image with only CUDA_VERSION requires cuda>=major.minor; none when
// NVIDIA_DISABLE_REQUIRE is true.
std::vector<std::string> image_requirements(const std::vector<std::string>& env);

struct RequirementFailure {
  std::string requirement;  // the whole expression
  std::string condition;    // its first term, as the toolkit reports it: "cuda>=12.4"
};

// nullopt when satisfied. An expression the toolkit could not parse is an error.
Result<std::optional<RequirementFailure>> check_requirement(std::string_view requirement,
                                                            const HostFacts& host);

}  // namespace dlrun::resolve
