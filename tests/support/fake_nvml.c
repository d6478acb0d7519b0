/* A stand-in for libnvidia-ml.so.1: two GPUs on a 550 driver, or a driver that is not
 * loaded when FAKE_NVML_DRIVER_NOT_LOADED is set. Exercises dlrun's real dlopen path. */
#include <stdlib.h>
#include <string.h>

typedef struct {
  unsigned long long total, free, used;
} nvmlMemory_t;

struct fake_device {
  const char *name, *uuid;
  int major, minor, brand;
  unsigned long long memory;
};
static const struct fake_device devices[] = {
    {"NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555555", 9, 0, 2, 85899345920ULL},
    {"NVIDIA GeForce RTX 4090", "GPU-66666666-7777-8888-9999-000000000000", 8, 9, 15, 25757220864ULL},
};

int nvmlInit_v2(void) { return getenv("FAKE_NVML_DRIVER_NOT_LOADED") ? 9 : 0; }
int nvmlShutdown(void) { return 0; }
int nvmlSystemGetDriverVersion(char* version, unsigned length) {
  strncpy(version, "550.54.14", length);
  return 0;
}
int nvmlSystemGetCudaDriverVersion_v2(int* version) {
  *version = 12040;
  return 0;
}
int nvmlDeviceGetCount_v2(unsigned* count) {
  *count = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (index >= 2) return 2;
  *device = (void*)&devices[index];
  return 0;
}
int nvmlDeviceGetName(void* device, char* name, unsigned length) {
  strncpy(name, ((const struct fake_device*)device)->name, length);
  return 0;
}
int nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  strncpy(uuid, ((const struct fake_device*)device)->uuid, length);
  return 0;
}
int nvmlDeviceGetCudaComputeCapability(void* device, int* major, int* minor) {
  *major = ((const struct fake_device*)device)->major;
  *minor = ((const struct fake_device*)device)->minor;
  return 0;
}
int nvmlDeviceGetMemoryInfo(void* device, nvmlMemory_t* memory) {
  memory->total = ((const struct fake_device*)device)->memory;
  memory->free = memory->total;
  memory->used = 0;
  return 0;
}
int nvmlDeviceGetBrand(void* device, int* brand) {
  *brand = ((const struct fake_device*)device)->brand;
  return 0;
}
