#include "dlrun/resolve/gpu_health.hpp"

#include <catch2/catch.hpp>

namespace dlrun::resolve {
namespace {

GpuFacts h100(int index) {
  GpuFacts gpu;
  gpu.index = index;
  gpu.uuid = "GPU-" + std::to_string(index) + "1111111-2222-3333-4444-555555555555";
  gpu.name = "NVIDIA H100 80GB HBM3";
  gpu.memory_bytes = 80LL << 30;
  gpu.health.uncorrected_ecc = 0;
  gpu.health.row_remap_pending = false;
  gpu.health.row_remap_failed = false;
  gpu.health.memory_used_bytes = 0;
  return gpu;
}

}  // namespace

TEST_CASE("each GPU health check refuses or warns, naming the GPU by index and UUID",
          "[resolve][gpu-health]") {
  CHECK(gpu_health_problems({h100(0), h100(1)}).empty());

  GpuFacts lost{.index = 2};
  lost.health.lost = true;
  lost.health.lost_reason = "NVML says the GPU is lost";
  GpuFacts ecc = h100(3);
  ecc.health.uncorrected_ecc = 2;
  GpuFacts remap_failed = h100(4);
  remap_failed.health.row_remap_failed = true;
  GpuFacts remap_pending = h100(5);
  remap_pending.health.row_remap_pending = true;
  GpuFacts retired = h100(6);
  retired.health.retired_pages_pending = true;
  GpuFacts busy = h100(7);
  busy.health.memory_used_bytes = 60LL << 30;
  GpuFacts half_busy = h100(8);
  half_busy.health.memory_used_bytes = 40LL << 30;  // not more than half: no word

  const auto problems =
      gpu_health_problems({busy, retired, remap_pending, remap_failed, ecc, lost, half_busy});
  REQUIRE(problems.size() == 6);
  // Refusals first.
  CHECK(problems[0].check == "row-remap-failed");
  CHECK(problems[0].verdict == GpuVerdict::refuse);
  CHECK(problems[0].index == 4);
  CHECK(problems[1].check == "ecc-uncorrectable");
  CHECK(problems[1].verdict == GpuVerdict::refuse);
  CHECK(problems[1].what ==
        "GPU 3 (GPU-31111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3) has had 2 "
        "uncorrectable ECC errors since its driver loaded: what runs on it may compute on "
        "corrupted memory");
  CHECK(problems[1].fix.find("nvidia-smi -r -i 3") != std::string::npos);
  CHECK(problems[2].check == "lost");
  CHECK(problems[2].what == "GPU 2 cannot be used: NVML says the GPU is lost");
  CHECK(problems[3].check == "memory-in-use");
  CHECK(problems[3].verdict == GpuVerdict::warn);
  CHECK(problems[3].what.starts_with("GPU 7 (GPU-7111"));
  CHECK(problems[3].what.find("60.0 GiB of its 80.0 GiB in use") != std::string::npos);
  CHECK(problems[4].check == "retired-pages-pending");
  CHECK(problems[4].verdict == GpuVerdict::warn);
  CHECK(problems[5].check == "row-remap-pending");
  CHECK(problems[5].uuid == "GPU-51111111-2222-3333-4444-555555555555");
}

}  // namespace dlrun::resolve
