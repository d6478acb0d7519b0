#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlrun/resolve/gpu_facts.hpp"

// A GPU's health as NVML reports it, judged before a job is given the GPU (train) and for the
// whole host (doctor): one list of checks, each refusing the GPU or warning about it
// (docs/gpu-failures.md, "Before the start").
namespace dlrun::resolve {

enum class GpuVerdict { refuse, warn };

struct GpuProblem {
  int index = 0;
  std::string uuid;
  std::string_view check;  // "lost", "ecc-uncorrectable", "row-remap-failed", …
  GpuVerdict verdict = GpuVerdict::warn;
  std::string what;  // "GPU 1 (GPU-6666…, NVIDIA GeForce RTX 4090) has 2 uncorrectable …"
  std::string fix;
};

// Another process holding more than this share of a GPU's memory gets a warning.
inline constexpr double kBusyMemoryShare = 0.5;

// The problems of `gpus`, every GPU's refusals before its warnings.
std::vector<GpuProblem> gpu_health_problems(const std::vector<GpuFacts>& gpus);

// "GPU 1 (GPU-6666…, NVIDIA GeForce RTX 4090)": how messages name a GPU.
std::string gpu_title(const GpuFacts& gpu);

}  // namespace dlrun::resolve
