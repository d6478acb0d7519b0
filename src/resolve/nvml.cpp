#include "dlrun/resolve/nvml.hpp"

#include <dlfcn.h>

#include <array>
#include <memory>

namespace dlrun::resolve {
namespace {

// The few NVML entry points dlrun uses, with their documented C signatures.
using NvmlReturn = int;
using NvmlDevice = void*;
struct NvmlMemory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
constexpr NvmlReturn kSuccess = 0;
constexpr NvmlReturn kDriverNotLoaded = 9;
constexpr NvmlReturn kNoPermission = 4;
constexpr NvmlReturn kGpuIsLost = 15;
// nvmlMemoryErrorType_t and nvmlEccCounterType_t: uncorrected errors since the driver loaded.
constexpr int kUncorrectedErrors = 1;
constexpr int kVolatileCount = 0;

struct LibraryCloser {
  void operator()(void* handle) const { dlclose(handle); }
};

template <typename Function>
Function symbol(void* library, const char* name) {
  return reinterpret_cast<Function>(dlsym(library, name));
}

// The health counters a data-center GPU keeps; each left unknown where the GPU has none
// (NVML_ERROR_NOT_SUPPORTED) or the driver lacks the call.
void read_health(NvmlDevice device,
                 NvmlReturn (*ecc_errors)(NvmlDevice, int, int, unsigned long long*),
                 NvmlReturn (*retired_pending)(NvmlDevice, int*),
                 NvmlReturn (*remapped_rows)(NvmlDevice, unsigned*, unsigned*, unsigned*,
                                             unsigned*),
                 GpuHealth& health) {
  unsigned long long uncorrected = 0;
  if (ecc_errors != nullptr &&
      ecc_errors(device, kUncorrectedErrors, kVolatileCount, &uncorrected) == kSuccess) {
    health.uncorrected_ecc = uncorrected;
  }
  int pending = 0;  // nvmlEnableState_t
  if (retired_pending != nullptr && retired_pending(device, &pending) == kSuccess) {
    health.retired_pages_pending = pending != 0;
  }
  unsigned corrected_rows = 0;
  unsigned uncorrected_rows = 0;
  unsigned remap_pending = 0;
  unsigned remap_failed = 0;
  if (remapped_rows != nullptr && remapped_rows(device, &corrected_rows, &uncorrected_rows,
                                                &remap_pending, &remap_failed) == kSuccess) {
    health.row_remap_pending = remap_pending != 0;
    health.row_remap_failed = remap_failed != 0;
  }
}

}  // namespace

std::string nvml_brand_name(int brand) {
  // nvmlBrandType_t, nvml.h; names as the NVIDIA Container Toolkit's requirements write them.
  static constexpr std::array<const char*, 17> kBrands{
      "unknown",   "quadro",    "tesla",  "nvs",        "grid",    "geforce",
      "titan",     "vapps",     "vpc",    "vcs",        "vws",     "cloudgaming",
      "quadrortx", "nvidiartx", "nvidia", "geforcertx", "titanrtx"};
  if (brand < 0 || static_cast<std::size_t>(brand) >= kBrands.size()) return "unknown";
  return kBrands[static_cast<std::size_t>(brand)];
}

NvmlReading read_nvml(const std::string& library_name) {
  const std::unique_ptr<void, LibraryCloser> library(
      dlopen(library_name.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library) return {std::nullopt, library_name + " not found (no NVIDIA driver on this host)"};
  void* lib = library.get();

  const auto init = symbol<NvmlReturn (*)()>(lib, "nvmlInit_v2");
  const auto shutdown = symbol<NvmlReturn (*)()>(lib, "nvmlShutdown");
  const auto driver_version =
      symbol<NvmlReturn (*)(char*, unsigned)>(lib, "nvmlSystemGetDriverVersion");
  const auto cuda_version = symbol<NvmlReturn (*)(int*)>(lib, "nvmlSystemGetCudaDriverVersion_v2");
  const auto device_count = symbol<NvmlReturn (*)(unsigned*)>(lib, "nvmlDeviceGetCount_v2");
  const auto device_at =
      symbol<NvmlReturn (*)(unsigned, NvmlDevice*)>(lib, "nvmlDeviceGetHandleByIndex_v2");
  const auto device_name =
      symbol<NvmlReturn (*)(NvmlDevice, char*, unsigned)>(lib, "nvmlDeviceGetName");
  const auto device_uuid =
      symbol<NvmlReturn (*)(NvmlDevice, char*, unsigned)>(lib, "nvmlDeviceGetUUID");
  const auto capability =
      symbol<NvmlReturn (*)(NvmlDevice, int*, int*)>(lib, "nvmlDeviceGetCudaComputeCapability");
  const auto memory =
      symbol<NvmlReturn (*)(NvmlDevice, NvmlMemory*)>(lib, "nvmlDeviceGetMemoryInfo");
  const auto brand = symbol<NvmlReturn (*)(NvmlDevice, int*)>(lib, "nvmlDeviceGetBrand");
  const auto ecc_errors = symbol<NvmlReturn (*)(NvmlDevice, int, int, unsigned long long*)>(
      lib, "nvmlDeviceGetTotalEccErrors");
  const auto retired_pending =
      symbol<NvmlReturn (*)(NvmlDevice, int*)>(lib, "nvmlDeviceGetRetiredPagesPendingStatus");
  const auto remapped_rows =
      symbol<NvmlReturn (*)(NvmlDevice, unsigned*, unsigned*, unsigned*, unsigned*)>(
          lib, "nvmlDeviceGetRemappedRows");
  if (!init || !shutdown || !driver_version || !device_count || !device_at) {
    return {std::nullopt,
            library_name + " lacks the NVML functions dlrun needs (a very old driver?)"};
  }

  const NvmlReturn initialized = init();
  if (initialized != kSuccess) {
    if (initialized == kDriverNotLoaded)
      return {std::nullopt, "NVML: the NVIDIA kernel driver is not loaded"};
    if (initialized == kNoPermission)
      return {std::nullopt, "NVML: no permission to talk to the driver"};
    return {std::nullopt, "NVML could not initialize (error " + std::to_string(initialized) + ")"};
  }
  HostFacts facts;
  facts.origin = "NVML";
  std::array<char, 96> text{};
  if (driver_version(text.data(), text.size()) == kSuccess)
    facts.driver = Version::parse(text.data());
  int cuda = 0;
  if (cuda_version != nullptr && cuda_version(&cuda) == kSuccess && cuda > 0) {
    facts.cuda_driver = Version({cuda / 1000, cuda % 1000 / 10});
  }
  unsigned count = 0;
  if (device_count(&count) == kSuccess) {
    for (unsigned index = 0; index < count; ++index) {
      NvmlDevice device = nullptr;
      GpuFacts gpu;
      gpu.index = static_cast<int>(index);
      // A GPU NVML counts but cannot reach is one a job must not be given.
      if (const NvmlReturn reached = device_at(index, &device); reached != kSuccess) {
        gpu.health.lost = true;
        gpu.health.lost_reason =
            reached == kGpuIsLost ? "NVML says the GPU is lost"
                                  : "NVML cannot reach it (error " + std::to_string(reached) + ")";
        facts.gpus.push_back(std::move(gpu));
        continue;
      }
      if (device_name != nullptr && device_name(device, text.data(), text.size()) == kSuccess)
        gpu.name = text.data();
      if (device_uuid != nullptr) {
        const NvmlReturn named = device_uuid(device, text.data(), text.size());
        if (named == kSuccess) gpu.uuid = text.data();
        if (named == kGpuIsLost) {
          gpu.health.lost = true;
          gpu.health.lost_reason = "NVML says the GPU is lost";
        }
      }
      int major = 0;
      int minor = 0;
      if (capability != nullptr && capability(device, &major, &minor) == kSuccess) {
        gpu.compute_capability = Version({major, minor});
      }
      NvmlMemory info{};
      if (memory != nullptr && memory(device, &info) == kSuccess) {
        gpu.memory_bytes = static_cast<std::int64_t>(info.total);
        gpu.health.memory_used_bytes = static_cast<std::int64_t>(info.used);
      }
      read_health(device, ecc_errors, retired_pending, remapped_rows, gpu.health);
      int brand_type = 0;
      if (brand != nullptr && brand(device, &brand_type) == kSuccess)
        gpu.brand = nvml_brand_name(brand_type);
      facts.gpus.push_back(std::move(gpu));
    }
  }
  shutdown();
  return {std::move(facts), ""};
}

}  // namespace dlrun::resolve
