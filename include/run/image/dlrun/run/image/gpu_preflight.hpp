#pragma once

#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/host_facts.hpp"

namespace dlrun::run {

// The GPUs of `host` that `request` selects (all, the first N, or the listed indexes); GPUs
// named by UUID are unknown here, so every GPU stays in.
resolve::HostFacts select_gpus(const resolve::HostFacts& host, const jobspec::GpuRequest& request);

// The health of the GPUs `request` selects, as NVML told it (resolve/gpu_health.hpp): warnings
// said, and a GPU that must not be used refused by index and UUID, with the GPUs that may (the
// `gpus` that leaves it out) and the fix. Nothing is checked where NVML was not read.
Result<void> check_gpu_health(const resolve::HostFacts& host, const jobspec::GpuRequest& request);

// Refuses, before a container exists, an image whose NVIDIA_REQUIRE_* (or legacy CUDA_VERSION)
// the host cannot meet: the NVIDIA hook would otherwise fail at start with
// "unsatisfied condition: cuda>=…". The error names the driver needed and the way out.
Result<void> check_image_fits_host(const std::string& image,
                                   const std::vector<std::string>& image_env,
                                   const resolve::HostFacts& host, const resolve::Catalog& catalog);

}  // namespace dlrun::run
