#include "dlrun/run/image/gpu_preflight.hpp"

#include <catch2/catch.hpp>

namespace dlrun::run {
namespace {

resolve::HostFacts host_with(const char* driver, std::vector<const char*> archs) {
  resolve::HostFactsOverrides overrides{.driver_version = driver};
  for (const char* arch : archs) overrides.gpu_archs.emplace_back(arch);
  auto facts = resolve::read_host_facts(overrides, resolve::builtin_catalog(), "/nonexistent");
  REQUIRE(facts);
  return *facts;
}

}  // namespace

TEST_CASE("the preflight looks only at the GPUs the job gets", "[run][gpu]") {
  const auto host = host_with("550.54.14", {"sm_70", "sm_80", "sm_90"});
  CHECK(select_gpus(host, jobspec::GpuAll{}).gpus.size() == 3);
  CHECK(select_gpus(host, jobspec::GpuCount{2}).gpus.size() == 2);
  const auto listed = select_gpus(host, jobspec::GpuList{{"0", "2"}});
  REQUIRE(listed.gpus.size() == 2);
  CHECK(listed.gpus[1].compute_capability->to_string() == "9.0");
  CHECK(select_gpus(host, jobspec::GpuList{{"GPU-abc"}}).gpus.size() == 3);

  // An arch requirement fails for the Volta GPU only when the job gets it.
  const std::vector<std::string> env{"NVIDIA_REQUIRE_ARCH=arch>=8.0"};
  CHECK_FALSE(check_image_fits_host("img", env, select_gpus(host, jobspec::GpuAll{}),
                                    resolve::builtin_catalog()));
  CHECK(check_image_fits_host("img", env, select_gpus(host, jobspec::GpuList{{"1", "2"}}),
                              resolve::builtin_catalog()));
}

TEST_CASE("a driver too old for the image gets the driver it needs", "[run][gpu]") {
  auto refused =
      check_image_fits_host("nvidia/cuda:12.8.1-runtime-ubuntu24.04", {"CUDA_VERSION=12.8.1"},
                            host_with("550.54.14", {}), resolve::builtin_catalog());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::gpu_unavailable);
  CHECK(refused.error().message ==
        "the image nvidia/cuda:12.8.1-runtime-ubuntu24.04 requires cuda>=12.8 (its "
        "NVIDIA_REQUIRE_CUDA), but this "
        "host's driver 550.54.14 supports CUDA 12.4 (from --driver-version)");
  CHECK(refused.error().hint.starts_with(
      "upgrade the host's NVIDIA driver to 570.26 or newer (CUDA 12.8's)"));

  CHECK(check_image_fits_host("pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
                              {"PATH=/opt/conda/bin"}, host_with("470.82.01", {}),
                              resolve::builtin_catalog()));
}

}  // namespace dlrun::run
