#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/run/host/engine_profile.hpp"

// How a job's GPUs reach its container: NVIDIA's legacy hook (a device request the engine's
// `nvidia` driver takes, as `docker run --gpus`), or CDI devices named by NVIDIA's CDI spec
// (`nvidia.com/gpu=0`, as `docker run --device`), which Docker 25+ (with CDI on) and Podman 5.4+
// take through the Docker API.
namespace dlrun::run {

enum class GpuDelivery { none, legacy_hook, cdi };

struct PlannedGpus {
  GpuDelivery delivery = GpuDelivery::none;
  std::vector<std::string> cdi_devices;  // the CDI path's: "nvidia.com/gpu=0", "…=all"
  std::string reason;                    // why this path, for --dry-run and doctor
};

// The kind of device NVIDIA's CDI spec names.
inline constexpr std::string_view kNvidiaCdiKind = "nvidia.com/gpu";

// Whether `engine` takes CDI device requests through the Docker API: Docker with CDI on (it
// lists its CDISpecDirs then), Podman from 5.4.
bool takes_cdi_requests(const EngineProfile& engine);

// The path for `spec`'s GPUs on `engine` (nullopt: not known, as in a dry run without one).
// `listed`: the devices NVIDIA's CDI spec on the engine's host names ("0", "GPU-…", "0:1",
// "all"), where dlrun can read it; nullopt where it cannot (a remote engine). Refuses, with the
// fix, a path the engine cannot take and a device the spec does not list.
Result<PlannedGpus> choose_gpu_path(const jobspec::JobSpec& spec,
                                    const std::optional<EngineProfile>& engine,
                                    const std::optional<std::vector<std::string>>& listed);

// "legacy hook", "CDI".
std::string_view gpu_delivery_name(GpuDelivery delivery);

}  // namespace dlrun::run
