/* A stand-in for libnvidia-ml.so.1: two GPUs on a 550 driver, or a driver that is not
 * loaded when FAKE_NVML_DRIVER_NOT_LOADED is set. Exercises dlrun's real dlopen path.
 *
 * Faults, each naming a GPU by index ("1"), some with a value ("1:2"), as a broken GPU shows
 * them through NVML:
 *   FAKE_NVML_LOST=I             its handle: NVML_ERROR_GPU_IS_LOST (fallen off the bus)
 *   FAKE_NVML_ECC=I:N            N uncorrected ECC errors since the driver loaded
 *   FAKE_NVML_RETIRED_PENDING=I  a page retirement pending (pre-Ampere)
 *   FAKE_NVML_REMAP_PENDING=I    a row remap pending; FAKE_NVML_REMAP_FAILED=I one that failed
 *   FAKE_NVML_MEMORY_USED=I:B    B bytes of its memory held by processes
 * The H100 (0) has ECC and row remapping, the GeForce (1) neither unless a fault says so. */
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

enum { SUCCESS = 0, NOT_SUPPORTED = 3, GPU_IS_LOST = 15 };

/* Whether fault `name` names GPU `index`; its value after ':' in `value`, when asked. */
static int fault(const char* name, unsigned index, unsigned long long* value) {
  const char* text = getenv(name);
  if (text == NULL || *text == '\0') return 0;
  char* end = NULL;
  if (strtoul(text, &end, 10) != index) return 0;
  if (value != NULL) *value = *end == ':' ? strtoull(end + 1, NULL, 10) : 0;
  return 1;
}

static unsigned index_of(void* device) {
  return (unsigned)((const struct fake_device*)device - devices);
}

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
  if (fault("FAKE_NVML_LOST", index, NULL)) return GPU_IS_LOST;
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
  unsigned long long used = 0;
  fault("FAKE_NVML_MEMORY_USED", index_of(device), &used);
  memory->used = used;
  memory->free = memory->total - used;
  return 0;
}
int nvmlDeviceGetTotalEccErrors(void* device, int error_type, int counter_type,
                                unsigned long long* count) {
  unsigned long long errors = 0;
  const int faulty = fault("FAKE_NVML_ECC", index_of(device), &errors);
  if (index_of(device) != 0 && !faulty) return NOT_SUPPORTED;
  /* Only uncorrected (1) volatile (0) counts are faulted. */
  *count = error_type == 1 && counter_type == 0 ? errors : 0;
  return SUCCESS;
}
int nvmlDeviceGetRetiredPagesPendingStatus(void* device, int* pending) {
  if (!fault("FAKE_NVML_RETIRED_PENDING", index_of(device), NULL)) return NOT_SUPPORTED;
  *pending = 1;
  return SUCCESS;
}
int nvmlDeviceGetRemappedRows(void* device, unsigned* corrected, unsigned* uncorrected,
                              unsigned* pending, unsigned* failed) {
  const unsigned index = index_of(device);
  *pending = (unsigned)fault("FAKE_NVML_REMAP_PENDING", index, NULL);
  *failed = (unsigned)fault("FAKE_NVML_REMAP_FAILED", index, NULL);
  if (index != 0 && !*pending && !*failed) return NOT_SUPPORTED;
  *corrected = 0;
  *uncorrected = *pending || *failed ? 1 : 0;
  return SUCCESS;
}
int nvmlDeviceGetBrand(void* device, int* brand) {
  *brand = ((const struct fake_device*)device)->brand;
  return 0;
}
