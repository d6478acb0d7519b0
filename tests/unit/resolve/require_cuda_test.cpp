#include "dlrun/resolve/require_cuda.hpp"

#include <catch2/catch.hpp>

#include "fake_env.hpp"

namespace dlrun::resolve {
namespace {

// The requirement of nvidia/cuda:12.4.x images (shortened to three brand windows of the 470
// and 535 branches each, as the real string repeats them per brand).
constexpr const char* kCuda124 =
    "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471 "
    "brand=nvidia,driver>=470,driver<471 brand=tesla,driver>=535,driver<536 "
    "brand=unknown,driver>=535,driver<536 brand=nvidia,driver>=535,driver<536";

HostFacts host(const char* driver, std::vector<std::pair<const char*, const char*>> gpus = {}) {
  HostFacts facts;
  facts.driver = Version::parse(driver);
  facts.cuda_driver = builtin_catalog().cuda_for_driver(*facts.driver);
  int index = 0;
  for (const auto& [arch, brand] : gpus)
    facts.gpus.push_back({index++, "", "", brand, parse_gpu_arch(arch), 0});
  return facts;
}

std::optional<std::string> failed_condition(const std::string& requirement,
                                            const HostFacts& facts) {
  auto checked = check_requirement(requirement, facts);
  REQUIRE(checked.has_value());
  if (!*checked) return std::nullopt;
  return (*checked)->condition;
}

}  // namespace

TEST_CASE("NVIDIA_REQUIRE_CUDA: OR of terms, AND of conditions, per GPU", "[resolve][require]") {
  CHECK(failed_condition(kCuda124, host("550.54.14")) == std::nullopt);
  CHECK(failed_condition(kCuda124, host("560.35.03")) == std::nullopt);
  CHECK(failed_condition(kCuda124, host("545.23.06")) == "cuda>=12.4");
  // A data-center GPU on the 535 branch passes through its brand window (forward compatibility).
  CHECK(failed_condition(kCuda124, host("535.104.05", {{"sm_90", "tesla"}})) == std::nullopt);
  CHECK(failed_condition(kCuda124, host("535.104.05", {{"sm_89", "geforce"}})) == "cuda>=12.4");
  // Every GPU must pass.
  CHECK(failed_condition(kCuda124, host("535.104.05", {{"sm_90", "tesla"},
                                                       {"sm_86", "geforce"}})) == "cuda>=12.4");
  CHECK(failed_condition("cuda>=11.8", host("520.61.05")) == std::nullopt);
  CHECK(failed_condition("cuda>=11.8", host("515.48.07")) == "cuda>=11.8");
  CHECK(failed_condition("cuda>=13.0", host("575.57.08")) == "cuda>=13.0");
  CHECK(failed_condition("cuda>=13.0", host("580.65.06")) == std::nullopt);
  CHECK(failed_condition("arch>=8.0", host("550.54.14", {{"sm_70", ""}})) == "arch>=8.0");
  CHECK(failed_condition("arch>=8.0", host("550.54.14", {{"sm_120", ""}})) == std::nullopt);
  CHECK(failed_condition("brand!=geforce", host("550.54.14", {{"sm_86", "GeForce"}})) ==
        "brand!=geforce");
  CHECK(failed_condition("driver>=470,driver<471", host("470.82.01")) == std::nullopt);
  // Without GPUs to look at, arch and brand pass, as in the toolkit.
  CHECK(failed_condition("arch>=9.0 brand=tesla", host("550.54.14")) == std::nullopt);
}

TEST_CASE("unknown host values pass, unreadable requirements are errors", "[resolve][require]") {
  CHECK(failed_condition(kCuda124, HostFacts{}) == std::nullopt);
  CHECK_FALSE(check_requirement("cuda>=twelve", host("550.54.14")).has_value());
  CHECK_FALSE(check_requirement("cuda", host("550.54.14")).has_value());
  CHECK_FALSE(
      check_requirement("brand>=tesla", host("550.54.14", {{"sm_90", "tesla"}})).has_value());
  CHECK(check_requirement("colour=blue", host("550.54.14")).error().message ==
        "the image's requirement \"colour=blue\" cannot be evaluated: unknown property \"colour\"");
}

TEST_CASE("which requirements an image states", "[resolve][require]") {
  CHECK(image_requirements({"PATH=/usr/bin",
                            "NVIDIA_REQUIRE_CUDA=cuda>=12.4 brand=tesla,driver>=470,driver<471",
                            "CUDA_VERSION=12.4.1"}) ==
        std::vector<std::string>{"cuda>=12.4 brand=tesla,driver>=470,driver<471"});
  CHECK(image_requirements({"CUDA_VERSION=11.8.0"}) == std::vector<std::string>{"cuda>=11.8"});
  CHECK(image_requirements({"NVIDIA_REQUIRE_CUDA=cuda>=12.4", "NVIDIA_DISABLE_REQUIRE=true"})
            .empty());
  CHECK(image_requirements({"NVIDIA_REQUIRE_JETPACK=csv-mounts=all"}).empty());
  CHECK(image_requirements({"NVIDIA_REQUIRE_CUDA=cuda>=12.0", "NVIDIA_REQUIRE_ARCH=arch>=7.0"})
            .size() == 2);
  CHECK(image_requirements({"PATH=/bin"}).empty());
}

TEST_CASE("host facts from /proc and from overrides", "[resolve][host]") {
  CHECK(parse_proc_driver_version(
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC "
            "2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n")
            ->to_string() == "550.54.14");
  CHECK(parse_proc_driver_version(
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  "
            "(dvs-builder@U16-I3-B03-4-3)  Tue Jul 22 21:22:45 UTC 2025\n")
            ->to_string() == "580.65.06");
  CHECK_FALSE(parse_proc_driver_version("garbage").has_value());

  CHECK(parse_gpu_arch("sm_90")->to_string() == "9.0");
  CHECK(parse_gpu_arch("sm_120")->to_string() == "12.0");
  CHECK(parse_gpu_arch("8.6")->to_string() == "8.6");
  CHECK_FALSE(parse_gpu_arch("hopper").has_value());

  auto facts = read_host_facts({.driver_version = "535.104.05", .gpu_archs = {"sm_80", "sm_80"}},
                               builtin_catalog(), "/nonexistent");
  REQUIRE(facts);
  CHECK(facts->cuda_driver->to_string() == "12.2");
  CHECK(facts->gpus.size() == 2);
  CHECK(read_host_facts({.driver_version = "five"}, builtin_catalog()).error().message ==
        "--driver-version \"five\" is not a driver version");

  // Whatever this machine has: no NVML and no /proc driver file is no driver, and why.
  auto none =
      read_host_facts({}, builtin_catalog(), "/nonexistent", "/nonexistent/libnvidia-ml.so.1");
  REQUIRE(none);
  CHECK_FALSE(none->driver.has_value());
  CHECK(none->unknown_because ==
        "/nonexistent/libnvidia-ml.so.1 not found (no NVIDIA driver on this host)");
}

}  // namespace dlrun::resolve
