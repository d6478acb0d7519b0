#include "dlrun/run/job/gpu_failures.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace dlrun::run {
namespace {

using namespace std::string_view_literals;

constexpr std::array kNvmlLost = {"Failed to initialize NVML: Unknown Error"sv};
constexpr std::array kGpuLost = {"GPU has fallen off the bus"sv, "GPU is lost"sv};
constexpr std::array kEcc = {"uncorrectable ECC error encountered"sv};
constexpr std::array kLaunchFailure = {"unspecified launch failure"sv};
constexpr std::array kIllegalAddress = {"an illegal memory access was encountered"sv};
constexpr std::array kNcclSystem = {"unhandled system error"sv};

constexpr std::array kFailures = {
    GpuFailure{
        .id = "nvml-lost",
        .signs = kNvmlLost,
        .what = "the container lost its GPUs while the job ran",
        .cause = "with the systemd cgroup driver, a `systemctl daemon-reload` on the host (package "
                 "installs run one) takes back the container's access to the NVIDIA device nodes "
                 "that the legacy hook gave it",
        .fix = "a new container has its GPUs again: run the job again (a retry does). For good: "
               "give GPUs through CDI (`nvidia-ctk cdi generate`; Docker 25+ or Podman), or "
               "create the /dev/char links NVIDIA documents (`nvidia-ctk system "
               "create-dev-char-symlinks --create-all`, and a udev rule to keep them)",
        .source = "https://github.com/NVIDIA/nvidia-container-toolkit/issues/48"},
    GpuFailure{
        .id = "gpu-lost",
        .signs = kGpuLost,
        .what = "a GPU fell off the bus (Xid 79): the driver can no longer reach it",
        .cause = "the GPU stopped answering on PCIe: overheating, power, or a hardware fault",
        .fix = "look for the Xid in the host's kernel log (`dmesg | grep -i xid`); the GPU needs "
               "a reset (`nvidia-smi -r`) or a reboot; until then leave it out with \"gpus\"",
        .source = "https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html"},
    GpuFailure{
        .id = "ecc-uncorrectable",
        .signs = kEcc,
        .what = "a GPU's memory has an error it could not correct",
        .cause = "faulty GPU memory (the CUDA runtime's cudaErrorECCUncorrectable)",
        .fix = "on the host, `nvidia-smi -q -d ECC,PAGE_RETIREMENT,ROW_REMAPPER` names the GPU; a "
               "GPU reset retires or remaps the bad memory; until then leave it out with \"gpus\"",
        .source = "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html"},
    GpuFailure{
        .id = "launch-failure",
        .signs = kLaunchFailure,
        .what = "a kernel crashed on the GPU",
        .cause = "a hardware fault (the host's kernel log then shows an Xid for the GPU) or a bug "
                 "in the kernel (the CUDA runtime's cudaErrorLaunchFailure)",
        .fix = "look for an Xid in the host's kernel log (`dmesg | grep -i xid`): if one names the "
               "GPU, leave it out with \"gpus\"; otherwise run with CUDA_LAUNCH_BLOCKING=1 to "
               "find the operation",
        .source = "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html"},
    GpuFailure{
        .id = "illegal-address",
        .signs = kIllegalAddress,
        .what = "a kernel read or wrote GPU memory outside its own",
        .cause = "most often a software bug (a custom or mismatched CUDA extension), rarely "
                 "faulty GPU memory; the process's CUDA context is unusable after it (the CUDA "
                 "runtime's cudaErrorIllegalAddress)",
        .fix = "run with CUDA_LAUNCH_BLOCKING=1 (or under compute-sanitizer) to find the "
               "operation; if it only ever happens on one GPU, leave that GPU out with \"gpus\"",
        .source = "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html"},
    GpuFailure{
        .id = "nccl-system-error",
        .signs = kNcclSystem,
        .what = "NCCL failed a system call",
        .cause = "most often shared memory (/dev/shm too small for NCCL's buffers) or the "
                 "network (InfiniBand/RDMA without locked memory, or the wrong interface)",
        .fix = "run with \"env\": {\"NCCL_DEBUG\": \"INFO\"} to see the call that failed; raise "
               "resources.shm_size, check memlock (`dlrun doctor`), or set NCCL_SOCKET_IFNAME",
        .source = "https://github.com/NVIDIA/nccl/issues/328"},
};

}  // namespace

std::span<const GpuFailure> gpu_failures() {
  return kFailures;
}

const GpuFailure* recognize_gpu_failure(std::string_view last_output) {
  for (const GpuFailure& failure : kFailures) {
    for (const std::string_view sign : failure.signs) {
      if (last_output.find(sign) != std::string_view::npos) return &failure;
    }
  }
  return nullptr;
}

void say_gpu_failure(const GpuFailure& failure) {
  spdlog::error("the job's output shows a GPU failure: {}. Likely cause: {}", failure.what,
                failure.cause);
  spdlog::info("hint: {} (see {})", failure.fix, failure.source);
}

const GpuFailure* find_gpu_failure(std::string_view id) {
  for (const GpuFailure& failure : kFailures) {
    if (failure.id == id) return &failure;
  }
  return nullptr;
}

}  // namespace dlrun::run
