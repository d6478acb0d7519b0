#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/gpu_facts.hpp"
#include "dlrun/user_files.hpp"
#include "dlrun/version_number.hpp"

namespace dlrun::resolve {

// The driver version in /proc/driver/nvidia/version's text.
std::optional<Version> parse_proc_driver_version(std::string_view text);

// The query dlrun runs on a Docker host it reaches over ssh (no NVML there from here).
inline constexpr std::string_view kNvidiaSmiQuery =
    "--query-gpu=driver_version,index,uuid,name,memory.total,compute_cap";

// Facts from that query's output (--format=csv,noheader,nounits: one line per GPU, memory in
// MiB); none when the text holds no GPU line.
std::optional<HostFacts> parse_nvidia_smi_csv(std::string_view text);

// Facts for hosts dlrun cannot see (a remote DOCKER_HOST, planning in CI).
struct HostFactsOverrides {
  std::optional<std::string> driver_version;  // --driver-version, $DLRUN_DRIVER_VERSION
  std::vector<std::string> gpu_archs;  // --gpu-arch (repeatable), $DLRUN_GPU_ARCH (comma-separated)
};

// The flags, else $DLRUN_DRIVER_VERSION and $DLRUN_GPU_ARCH.
HostFactsOverrides overrides_from_environment(HostFactsOverrides flags, const EnvLookup& env);

// The NVML library to load: $DLRUN_NVML_LIBRARY (tests point it at a fake), else libnvidia-ml.so.1.
std::string nvml_library(const EnvLookup& env);

// Overrides win; otherwise the local driver and GPUs through NVML, else the driver version from
// `proc_root`/driver/nvidia/version (only meaningful when the daemon is local). No driver found
// is not an error: the facts are empty.
Result<HostFacts> read_host_facts(const HostFactsOverrides& overrides, const Catalog& catalog,
                                  const std::filesystem::path& proc_root = "/proc",
                                  const std::string& nvml_path = std::string(kNvmlLibrary));

}  // namespace dlrun::resolve
