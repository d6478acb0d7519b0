#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/version_number.hpp"

// What dlrun knows of a host's NVIDIA driver and GPUs, however it learned it (host_facts.hpp
// gathers them; nvml.hpp reads them from the driver).
namespace dlrun::resolve {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

struct GpuFacts {
  int index = 0;
  std::string uuid;
  std::string name;
  std::string brand;  // lower-case, as NVIDIA_REQUIRE_CUDA writes it: "tesla", "geforce", …
  std::optional<Version> compute_capability;  // 8.6 for sm_86
  std::int64_t memory_bytes = 0;
};

// The NVIDIA driver and GPUs of the host the containers run on, as far as dlrun can know them.
struct HostFacts {
  std::optional<Version> driver;       // 550.54.14
  std::optional<Version> cuda_driver;  // 12.4: the newest CUDA the driver supports
  std::vector<GpuFacts> gpus;
  std::string origin;  // "/proc/driver/nvidia/version", "--driver-version", …
  // Why no driver was found, when none was: NVML's reason ("driver not loaded"), or that the
  // Docker host is remote and nothing was told.
  std::string unknown_because;
};

}  // namespace dlrun::resolve
