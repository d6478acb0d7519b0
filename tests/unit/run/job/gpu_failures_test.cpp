#include "dlrun/run/job/gpu_failures.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace dlrun::run {

TEST_CASE("a job's last output is read for the signs of a GPU failure", "[run][gpu]") {
  // As PyTorch, nvidia-smi and NCCL print them.
  const auto id_of = [](std::string_view output) {
    const GpuFailure* failure = recognize_gpu_failure(output);
    return failure != nullptr ? std::string(failure->id) : std::string("none");
  };
  CHECK(id_of("$ nvidia-smi\nFailed to initialize NVML: Unknown Error\n") == "nvml-lost");
  CHECK(id_of("RuntimeError: CUDA error: unspecified launch failure\nCUDA kernel errors might be "
              "asynchronously reported at some other API call\n") == "launch-failure");
  CHECK(id_of("RuntimeError: CUDA error: an illegal memory access was encountered\n") ==
        "illegal-address");
  CHECK(id_of("RuntimeError: CUDA error: uncorrectable ECC error encountered\n") ==
        "ecc-uncorrectable");
  CHECK(id_of("Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost.  Reboot "
              "the system to recover this GPU\n") == "gpu-lost");
  CHECK(id_of("torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1275, "
              "unhandled system error (run with NCCL_DEBUG=INFO for details)\n") ==
        "nccl-system-error");
  // Where a GPU went, the launch failure that followed is its symptom: the table's order decides.
  CHECK(id_of("GPU has fallen off the bus\nCUDA error: unspecified launch failure\n") ==
        "gpu-lost");
  // A Python error, an OOM in CUDA (the framework says so itself), or nothing: no GPU failure.
  CHECK(id_of("Traceback (most recent call last):\nKeyError: 'lr'\n") == "none");
  CHECK(id_of("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n") ==
        "none");
  CHECK(id_of("") == "none");

  CHECK(find_gpu_failure("nvml-lost") == recognize_gpu_failure("Failed to initialize NVML: "
                                                               "Unknown Error"));
  CHECK(find_gpu_failure("") == nullptr);
  CHECK(find_gpu_failure("no-such-failure") == nullptr);
}

TEST_CASE("the GPU failure table: every entry complete, unique and in docs/gpu-failures.md",
          "[run][gpu]") {
  std::ifstream file(DLRUN_SOURCE_DIR "/docs/gpu-failures.md");
  REQUIRE(file);
  std::stringstream doc;
  doc << file.rdbuf();
  std::set<std::string_view> ids;
  for (const GpuFailure& failure : gpu_failures()) {
    INFO(failure.id);
    CHECK(ids.insert(failure.id).second);
    CHECK_FALSE(failure.signs.empty());
    CHECK_FALSE(failure.what.empty());
    CHECK_FALSE(failure.cause.empty());
    CHECK_FALSE(failure.fix.empty());
    CHECK(failure.source.starts_with("https://"));
    // The doc names each failure, its signs and its source, so that the table has one reading.
    CHECK(doc.str().find("`" + std::string(failure.id) + "`") != std::string::npos);
    CHECK(doc.str().find(failure.source) != std::string::npos);
    for (const std::string_view sign : failure.signs) {
      CHECK(doc.str().find(sign) != std::string::npos);
    }
  }
}

}  // namespace dlrun::run
