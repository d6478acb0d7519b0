#include "dlrun/resolve/nvml.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "dlrun/resolve/host_facts.hpp"
#include "fake_env.hpp"

namespace dlrun::resolve {

TEST_CASE("NVML through dlopen: driver, CUDA version and every GPU", "[resolve][nvml]") {
  const auto reading = read_nvml(DLRUN_FAKE_NVML);
  REQUIRE(reading.facts.has_value());
  const HostFacts& facts = *reading.facts;
  CHECK(facts.origin == "NVML");
  CHECK(facts.driver->to_string() == "550.54.14");
  CHECK(facts.cuda_driver->to_string() == "12.4");
  REQUIRE(facts.gpus.size() == 2);
  CHECK(facts.gpus[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(facts.gpus[0].uuid == "GPU-11111111-2222-3333-4444-555555555555");
  CHECK(facts.gpus[0].compute_capability->to_string() == "9.0");
  CHECK(facts.gpus[0].brand == "tesla");
  CHECK(facts.gpus[0].memory_bytes == 85899345920LL);
  CHECK(facts.gpus[1].compute_capability->to_string() == "8.9");
  CHECK(facts.gpus[1].brand == "geforcertx");
}

TEST_CASE("no NVML, or no driver behind it, is no facts and a reason", "[resolve][nvml]") {
  const auto missing = read_nvml("/nonexistent/libnvidia-ml.so.1");
  CHECK_FALSE(missing.facts.has_value());
  CHECK(missing.why_not ==
        "/nonexistent/libnvidia-ml.so.1 not found (no NVIDIA driver on this host)");

  const auto not_loaded = [] {
    const testing::ScopedEnv switch_off("FAKE_NVML_DRIVER_NOT_LOADED", "1");  // the fake's switch
    return read_nvml(DLRUN_FAKE_NVML);
  }();
  CHECK_FALSE(not_loaded.facts.has_value());
  CHECK(not_loaded.why_not == "NVML: the NVIDIA kernel driver is not loaded");
}

TEST_CASE("host facts prefer NVML, and flags beat both", "[resolve][nvml]") {
  auto seen = read_host_facts({}, builtin_catalog(), "/nonexistent", DLRUN_FAKE_NVML);
  REQUIRE(seen);
  CHECK(seen->origin == "NVML");
  CHECK(seen->gpus.size() == 2);

  auto told = read_host_facts({.driver_version = "535.104.05", .gpu_archs = {"sm_80"}},
                              builtin_catalog(), "/nonexistent");
  REQUIRE(told);
  CHECK(told->driver->to_string() == "535.104.05");
  CHECK(told->cuda_driver->to_string() == "12.2");
  REQUIRE(told->gpus.size() == 1);
  CHECK(told->gpus[0].compute_capability->to_string() == "8.0");
  CHECK(nvml_library(testing::FakeEnv{{{"DLRUN_NVML_LIBRARY", "/x/libfake.so"}}}.lookup()) ==
        "/x/libfake.so");
  CHECK(nvml_library(testing::FakeEnv{}.lookup()) == "libnvidia-ml.so.1");
}

TEST_CASE("NVML brand names as requirements spell them", "[resolve][nvml]") {
  CHECK(nvml_brand_name(2) == "tesla");
  CHECK(nvml_brand_name(5) == "geforce");
  CHECK(nvml_brand_name(14) == "nvidia");
  CHECK(nvml_brand_name(99) == "unknown");
}

}  // namespace dlrun::resolve

namespace dlrun::resolve {

TEST_CASE("nvidia-smi's CSV, as read from a Docker host over ssh", "[resolve][host]") {
  auto facts = parse_nvidia_smi_csv(
      "550.54.14, 0, GPU-1111, NVIDIA H100 80GB HBM3, 81559, 9.0\n"
      "550.54.14, 1, GPU-6666, NVIDIA GeForce RTX 4090, 24564, 8.9\r\n");
  REQUIRE(facts);
  CHECK(facts->driver == Version::parse("550.54.14"));
  REQUIRE(facts->gpus.size() == 2);
  CHECK(facts->gpus[1].index == 1);
  CHECK(facts->gpus[1].uuid == "GPU-6666");
  CHECK(facts->gpus[1].name == "NVIDIA GeForce RTX 4090");
  CHECK(facts->gpus[1].memory_bytes == 24564LL * 1024 * 1024);
  CHECK(facts->gpus[1].compute_capability == Version::parse("8.9"));
  CHECK(facts->origin == "nvidia-smi over ssh");
  CHECK_FALSE(parse_nvidia_smi_csv(""));
  CHECK_FALSE(parse_nvidia_smi_csv("NVIDIA-SMI has failed because it couldn't communicate"));
}

// Found by tests/fuzz (host_facts): a memory size in MiB overflowed when made bytes.
TEST_CASE("nvidia-smi's numbers that are not numbers, or too large, are unknown",
          "[resolve][host][fuzz]") {
  auto facts = parse_nvidia_smi_csv(
      "550.54.14, x, GPU-1111, NVIDIA H100, 9223372036854775807, 9.0\n"
      "550.54.14, 1, GPU-2222, Tesla T4, [N/A], [N/A]\n");
  REQUIRE(facts);
  REQUIRE(facts->gpus.size() == 2);
  CHECK(facts->gpus[0].index == 0);
  CHECK(facts->gpus[0].memory_bytes == 0);
  CHECK(facts->gpus[1].index == 1);
  CHECK(facts->gpus[1].memory_bytes == 0);
  CHECK_FALSE(facts->gpus[1].compute_capability);
}

}  // namespace dlrun::resolve

namespace dlrun::resolve {

TEST_CASE("NVML's health counters: a lost GPU, ECC errors, memory repairs, memory in use",
          "[resolve][nvml][gpu-health]") {
  const auto healthy = read_nvml(DLRUN_FAKE_NVML);
  REQUIRE(healthy.facts);
  const GpuHealth& h100 = healthy.facts->gpus[0].health;
  CHECK_FALSE(h100.lost);
  CHECK(h100.uncorrected_ecc == 0U);
  CHECK(h100.row_remap_pending == false);
  CHECK(h100.row_remap_failed == false);
  CHECK_FALSE(h100.retired_pages_pending);  // an H100 remaps rows; it retires no pages
  CHECK(h100.memory_used_bytes == 0);
  // A GeForce has no ECC and no memory repairs: unknown, not zero.
  CHECK_FALSE(healthy.facts->gpus[1].health.uncorrected_ecc);
  CHECK_FALSE(healthy.facts->gpus[1].health.row_remap_failed);

  const testing::ScopedEnv lost("FAKE_NVML_LOST", "1");
  const testing::ScopedEnv ecc("FAKE_NVML_ECC", "0:3");
  const testing::ScopedEnv remap("FAKE_NVML_REMAP_PENDING", "0");
  const testing::ScopedEnv used("FAKE_NVML_MEMORY_USED", "0:60000000000");
  const auto broken = read_nvml(DLRUN_FAKE_NVML);
  REQUIRE(broken.facts);
  REQUIRE(broken.facts->gpus.size() == 2);
  CHECK(broken.facts->gpus[0].health.uncorrected_ecc == 3U);
  CHECK(broken.facts->gpus[0].health.row_remap_pending == true);
  CHECK(broken.facts->gpus[0].health.memory_used_bytes == 60000000000LL);
  // Counted, but out of reach: still listed, by index, so that a job is refused it.
  CHECK(broken.facts->gpus[1].index == 1);
  CHECK(broken.facts->gpus[1].health.lost);
  CHECK(broken.facts->gpus[1].health.lost_reason == "NVML says the GPU is lost");
}

}  // namespace dlrun::resolve
