#include "dlrun/resolve/gpu_health.hpp"

#include <cstdio>

namespace dlrun::resolve {
namespace {

std::string gibibytes(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1LL << 30));
  return text;
}

}  // namespace

std::string gpu_title(const GpuFacts& gpu) {
  const std::string title = "GPU " + std::to_string(gpu.index);
  std::string detail = gpu.uuid;
  if (!gpu.name.empty()) detail += (detail.empty() ? "" : ", ") + gpu.name;
  return detail.empty() ? title : title + " (" + detail + ")";
}

std::vector<GpuProblem> gpu_health_problems(const std::vector<GpuFacts>& gpus) {
  std::vector<GpuProblem> refusals;
  std::vector<GpuProblem> warnings;
  for (const GpuFacts& gpu : gpus) {
    const GpuHealth& health = gpu.health;
    const std::string title = gpu_title(gpu);
    const auto refuse = [&](std::string_view check, std::string what, std::string fix) {
      refusals.push_back(
          {gpu.index, gpu.uuid, check, GpuVerdict::refuse, std::move(what), std::move(fix)});
    };
    const auto warn = [&](std::string_view check, std::string what, std::string fix) {
      warnings.push_back(
          {gpu.index, gpu.uuid, check, GpuVerdict::warn, std::move(what), std::move(fix)});
    };
    if (health.lost) {
      refuse("lost", title + " cannot be used: " + health.lost_reason,
             "a lost GPU (Xid 79, \"fallen off the bus\") comes back only with a GPU reset "
             "(nvidia-smi -r -i " +
                 std::to_string(gpu.index) +
                 ", no process on it) or a reboot; check `dmesg` for Xid errors");
      continue;
    }
    if (health.uncorrected_ecc && *health.uncorrected_ecc > 0) {
      refuse("ecc-uncorrectable",
             title + " has had " + std::to_string(*health.uncorrected_ecc) +
                 " uncorrectable ECC error" + (*health.uncorrected_ecc == 1 ? "" : "s") +
                 " since its driver loaded: what runs on it may compute on corrupted memory",
             "reset the GPU (nvidia-smi -r -i " + std::to_string(gpu.index) +
                 ") to retire the bad memory; if errors return, have it replaced");
    }
    if (health.row_remap_failed && *health.row_remap_failed) {
      refuse("row-remap-failed",
             title + " failed to remap a row of bad memory: it has no spare rows left there",
             "keep jobs off it and have it checked for replacement, as NVIDIA's GPU memory "
             "error management guide advises for a remap failure");
    }
    if (health.row_remap_pending && *health.row_remap_pending) {
      warn("row-remap-pending",
           title + " has a row remap of bad memory pending, applied at its next reset",
           "reset the GPU (nvidia-smi -r -i " + std::to_string(gpu.index) +
               ") when it is idle, or reboot");
    }
    if (health.retired_pages_pending && *health.retired_pages_pending) {
      warn("retired-pages-pending",
           title + " has memory pages pending retirement, retired at its next reset",
           "reset the GPU (nvidia-smi -r -i " + std::to_string(gpu.index) +
               ") when it is idle, or reboot");
    }
    if (health.memory_used_bytes && gpu.memory_bytes > 0 &&
        static_cast<double>(*health.memory_used_bytes) >
            kBusyMemoryShare * static_cast<double>(gpu.memory_bytes)) {
      warn("memory-in-use",
           title + " has " + gibibytes(*health.memory_used_bytes) + " of its " +
               gibibytes(gpu.memory_bytes) +
               " in use by other processes: the job may run out of GPU memory",
           "see who holds it with nvidia-smi, or choose another GPU");
    }
  }
  refusals.insert(refusals.end(), warnings.begin(), warnings.end());
  return refusals;
}

}  // namespace dlrun::resolve
