#include "dlrun/run/image/gpu_preflight.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dlrun/resolve/gpu_health.hpp"
#include "dlrun/resolve/require_cuda.hpp"

namespace dlrun::run {

resolve::HostFacts select_gpus(const resolve::HostFacts& host, const jobspec::GpuRequest& request) {
  resolve::HostFacts selected = host;
  if (const auto* count = std::get_if<jobspec::GpuCount>(&request)) {
    if (selected.gpus.size() > static_cast<std::size_t>(count->count))
      selected.gpus.resize(static_cast<std::size_t>(count->count));
  } else if (const auto* list = std::get_if<jobspec::GpuList>(&request)) {
    std::vector<resolve::GpuFacts> chosen;
    for (const auto& id : list->ids) {
      if (id.starts_with("GPU-") || id.starts_with("MIG-")) return selected;
      const auto index = std::stoi(id);
      for (const auto& gpu : host.gpus) {
        if (gpu.index == index) chosen.push_back(gpu);
      }
    }
    selected.gpus = std::move(chosen);
  }
  return selected;
}

Result<void> check_gpu_health(const resolve::HostFacts& host, const jobspec::GpuRequest& request) {
  if (std::holds_alternative<jobspec::GpuNone>(request)) return {};
  std::string refused;
  std::string fixes;
  for (const auto& problem : resolve::gpu_health_problems(select_gpus(host, request).gpus)) {
    if (problem.verdict == resolve::GpuVerdict::warn) {
      spdlog::warn("{}; {}", problem.what, problem.fix);
      continue;
    }
    refused += (refused.empty() ? "" : "; ") + problem.what;
    if (fixes.find(problem.fix) == std::string::npos)
      fixes += (fixes.empty() ? "" : "; ") + problem.fix;
  }
  if (refused.empty()) return {};
  // The host's GPUs that nothing refuses, as --gpus and the spec would name them.
  std::string as_flag;
  std::string as_spec;
  for (const auto& gpu : host.gpus) {
    const auto problems = resolve::gpu_health_problems({gpu});
    if (!problems.empty() && problems.front().verdict == resolve::GpuVerdict::refuse) continue;
    as_flag += (as_flag.empty() ? "" : ",") + std::to_string(gpu.index);
    as_spec += (as_spec.empty() ? "\"" : ", \"") + std::to_string(gpu.index) + "\"";
  }
  const std::string way_out =
      as_flag.empty()
          ? std::string("no GPU of this host is fit for a job now")
          : "leave it out: --gpus " + as_flag + " (or \"gpus\": [" + as_spec + "] in the spec)";
  return fail(ErrorKind::gpu_unavailable, refused, way_out + "; " + fixes);
}

Result<void> check_image_fits_host(const std::string& image,
                                   const std::vector<std::string>& image_env,
                                   const resolve::HostFacts& host,
                                   const resolve::Catalog& catalog) {
  for (const auto& requirement : resolve::image_requirements(image_env)) {
    auto checked = resolve::check_requirement(requirement, host);
    if (!checked) return std::unexpected(checked.error());
    const auto& unmet = *checked;
    if (!unmet) continue;
    const std::string& condition = unmet->condition;
    const std::string driver = host.driver ? host.driver->to_string() : "unknown";
    const std::string cuda = host.cuda_driver ? host.cuda_driver->to_string() : "unknown";
    std::string message = "the image " + image + " requires " + condition +
                          " (its NVIDIA_REQUIRE_CUDA), but this host's driver " + driver +
                          " supports CUDA " + cuda;
    if (!host.origin.empty()) message += " (from " + host.origin + ")";
    std::string hint = "choose an image built for CUDA " + cuda + " or older";
    if (condition.starts_with("cuda>=")) {
      if (auto wanted = Version::parse(condition.substr(6))) {
        if (auto needed = catalog.driver_for_cuda(*wanted)) {
          hint = "upgrade the host's NVIDIA driver to " + needed->to_string() + " or newer (CUDA " +
                 wanted->prefix(2).to_string() + "'s), or " + hint;
        }
      }
    } else {
      message = "the image " + image + " requires " + condition +
                ", which this host's GPUs or driver " + driver + " do not meet";
      hint = "run it on a host that meets \"" + requirement + "\", or choose another image";
    }
    return fail(ErrorKind::gpu_unavailable, message,
                hint + "; the check is NVIDIA's own, done before anything is created");
  }
  spdlog::debug("image {} fits driver {}", image,
                host.driver ? host.driver->to_string() : "unknown");
  return {};
}

}  // namespace dlrun::run
