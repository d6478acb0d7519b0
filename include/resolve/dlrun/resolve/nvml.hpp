#pragma once

#include <optional>
#include <string>

#include "dlrun/resolve/gpu_facts.hpp"

namespace dlrun::resolve {

struct NvmlReading {
  std::optional<HostFacts> facts;  // nullopt: no usable NVML here
  std::string why_not;             // "libnvidia-ml.so.1 not found", "driver not loaded", …
};

// Reads the driver and every GPU through NVML. The library is loaded with dlopen, so dlrun
// links nothing of NVIDIA's and runs on hosts without a driver; `library` may be a path.
NvmlReading read_nvml(const std::string& library = kNvmlLibrary);

// The lower-case brand NVIDIA_REQUIRE_CUDA uses for an nvmlBrandType_t value ("tesla", …).
std::string nvml_brand_name(int brand);

}  // namespace dlrun::resolve
