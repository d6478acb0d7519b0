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

// What NVML says of a GPU's health; nullopt where it was not read, or the GPU cannot say (a
// GeForce has no ECC; page retirement predates row remapping).
struct GpuHealth {
  // NVML cannot reach the GPU (NVML_ERROR_GPU_IS_LOST: "fallen off the bus", Xid 79), or
  // refuses it: `lost_reason` says which.
  bool lost = false;
  std::string lost_reason;
  std::optional<std::uint64_t> uncorrected_ecc;   // volatile: since the driver was loaded
  std::optional<bool> retired_pages_pending;      // a page retirement that awaits a reset
  std::optional<bool> row_remap_pending;          // A100 and later: a row remap awaiting a reset
  std::optional<bool> row_remap_failed;           // a remap that could not be made
  std::optional<std::int64_t> memory_used_bytes;  // by every process on it, dlrun's jobs too
};

struct GpuFacts {
  int index = 0;
  std::string uuid;
  std::string name;
  std::string brand;  // lower-case, as NVIDIA_REQUIRE_CUDA writes it: "tesla", "geforce", …
  std::optional<Version> compute_capability;  // 8.6 for sm_86
  std::int64_t memory_bytes = 0;
  GpuHealth health;  // read only through NVML
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
