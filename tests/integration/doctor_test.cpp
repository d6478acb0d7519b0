// dlrun doctor against the private engines: one with NVIDIA's hook (stand-in), one without.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <tuple>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

nlohmann::json check_named(const nlohmann::json& report, const std::string& name) {
  for (const auto& check : report["checks"]) {
    if (check["name"] == name) return check;
  }
  FAIL("no check named " << name);
  return {};
}

}  // namespace

TEST_CASE("doctor: a GPU-ready engine and host pass", "[engine][doctor]") {
  JobFixture job;
  Invocation with_gpus;
  with_gpus.env["DLRUN_NVML_LIBRARY"] = DLRUN_FAKE_NVML;
  pid_t doctor_pid = 0;
  with_gpus.on_output = [&](pid_t pid, const std::string&, const std::string&) {
    doctor_pid = pid;
  };
  const auto result = job.dlrun({"doctor", "--output", "json"}, with_gpus);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report["ok"] == true);
  CHECK(check_named(report, "engine")["status"] == "ok");
  // The engine as it is: its product and version from /version, not "Docker" whatever it is.
  CHECK(check_named(report, "engine")["detail"].get<std::string>().starts_with("Docker 20.10."));
  CHECK(check_named(report, "rootless")["detail"].get<std::string>().ends_with(" runs as root"));
  const auto gpus = check_named(report, "gpu path");
  CHECK(gpus["status"] == "ok");
  // Docker 20.10 has no CDI: NVIDIA's hook, probed.
  const auto detail = gpus["detail"].get<std::string>();
  CHECK(
      detail.starts_with("NVIDIA's hook: GPU requests are accepted (the daemon selected its "
                         "NVIDIA driver); Docker 20.10."));
  CHECK(detail.ends_with(" takes no CDI device requests: NVIDIA's hook"));
  CHECK(check_named(report, "host driver")["detail"] == "550.54.14, supports CUDA 12.4 (NVML)");
  CHECK(check_named(report, "gpus")["detail"] ==
        "0: NVIDIA H100 80GB HBM3 (sm_90, 85.9 GB, brand tesla); 1: NVIDIA GeForce RTX 4090 "
        "(sm_89, 25.8 GB, brand geforcertx)");
  // The newest image of each framework for driver 550.54.14 and sm_90 + sm_89; one already on
  // the engine counts as such (the fixture tags a PyTorch image there).
  CHECK(check_named(report, "pytorch image")["detail"] ==
        "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime (on the engine)");
  CHECK(check_named(report, "tensorflow image")["detail"] == "tensorflow/tensorflow:2.17.0-gpu");
  CHECK(check_named(report, "cuda image")["detail"] ==
        "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
  CHECK(check_named(report, "jax image")["detail"] == "nvcr.io/nvidia/jax:24.04-py3");
  // Its probe containers are gone. Named by this doctor's pid: other tests' doctors probe the
  // same engine at the same time.
  REQUIRE(doctor_pid != 0);
  const auto listed = run_process(
      {.args = {"/usr/bin/docker", "-H", job.engine().gpu_host(), "ps", "-aq", "--filter",
                "name=^/dlrun-doctor-probe-" + std::to_string(doctor_pid) + "$"}});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.empty());
}

TEST_CASE("doctor: a framework with no image for the host's driver warns with the fix",
          "[engine][doctor]") {
  JobFixture job;
  Invocation with_gpus;
  with_gpus.env["DLRUN_NVML_LIBRARY"] = DLRUN_FAKE_NVML;
  const auto result = job.dlrun(
      {"doctor", "--output", "json", "--driver-version", "545.23.06", "--gpu-arch", "sm_90"},
      with_gpus);
  INFO(result.err);
  const auto report = nlohmann::json::parse(result.out);
  const auto jax = check_named(report, "jax image");
  CHECK(jax["status"] == "warn");
  CHECK(jax["detail"] ==
        "none fits: JAX images need driver >= 575 (CUDA 12.9) or driver >= 560 (CUDA 12.6) or "
        "driver >= 550.54.14 (CUDA 12.4); this host has 545.23.06");
  CHECK(jax["fix"] ==
        "upgrade the driver; data-center GPUs on R545 could run nvcr.io/nvidia/jax:25.04-py3 "
        "through CUDA forward compatibility (these GPUs are not)");
  // A warning is not a failure: the report as a whole still passes.
  CHECK(report["ok"] == true);
  CHECK(result.exit_code == 0);
}

TEST_CASE("doctor: an engine without the NVIDIA toolkit fails with the fix", "[engine][doctor]") {
  JobFixture job;
  Invocation no_driver;
  no_driver.env["DLRUN_NVML_LIBRARY"] = "/nonexistent/libnvidia-ml.so.1";
  const auto result = job.dlrun({"doctor"}, no_driver, job.engine().plain_host());
  CHECK(result.exit_code == 1);
  CHECK(result.out.find("fail  gpu path               the Docker daemon at " +
                        job.engine().plain_host() + " has no NVIDIA device driver") !=
        std::string::npos);
  CHECK(result.out.find("fix: install the NVIDIA Container Toolkit") != std::string::npos);
  CHECK(result.out.find("warn  host driver            no NVIDIA driver found on this host") !=
        std::string::npos);
}

TEST_CASE("doctor: Podman is named as it is, and each claim about it is probed",
          "[engine][doctor]") {
  JobFixture job;
  const auto result = job.dlrun({"doctor", "--output", "json"}, {}, job.engine().podman_host());
  INFO(result.err);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(check_named(report, "engine")["detail"].get<std::string>().starts_with("Podman 4.3.1 "));
  CHECK(check_named(report, "rootless")["detail"] == "Podman 4.3.1 runs as root");
  // It takes the GPU request and drops it: no GPU path, whatever the failed start says.
  const auto gpus = check_named(report, "gpu path");
  CHECK(gpus["status"] == "fail");
  CHECK(gpus["detail"] ==
        "Podman 4.3.1 dropped the probe's GPU request: it passes no GPUs "
        "through the Docker API's device requests");
  // Restricted, it may not raise the limits it adds itself: the defaults give way on every limit.
  const auto defaults = check_named(report, "training defaults");
  CHECK(defaults["status"] == "warn");
  CHECK(defaults["detail"].get<std::string>().starts_with(
      "Podman 4.3.1 at " + job.engine().podman_host() +
      " may not grant unlimited locked memory and a 64 MB stack (ulimits)"));
  CHECK(report["ok"] == false);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("doctor: a CDI engine's GPU path is CDI, probed with every GPU",
          "[engine][doctor][cdi]") {
  JobFixture job;
  for (const auto& [host, engine, why] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {job.engine().cdi_host(), "Docker 26.",
            " has CDI, and NVIDIA's CDI spec lists the GPUs"},
           {job.engine().podman5_host(), "Podman 5.", " passes GPUs only as CDI devices"}}) {
    const auto result = job.dlrun({"doctor", "--output", "json"}, {}, host);
    INFO(result.err);
    const auto report = nlohmann::json::parse(result.out);
    CHECK(check_named(report, "engine")["detail"].get<std::string>().starts_with(engine));
    const auto gpus = check_named(report, "gpu path");
    CHECK(gpus["status"] == "ok");
    const auto detail = gpus["detail"].get<std::string>();
    CHECK(
        detail.starts_with("CDI (nvidia.com/gpu=all): the engine injected the devices; " + engine));
    CHECK(detail.ends_with(why));
  }
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("doctor: an unreachable engine fails, and the host is still examined",
          "[engine][doctor]") {
  JobFixture job;
  const auto result = job.dlrun({"doctor", "--driver-version", "535.104.05", "--gpu-arch", "sm_80"},
                                {}, "unix:///nonexistent/docker.sock");
  CHECK(result.exit_code == 1);
  CHECK(result.out.find(
            "fail  engine                 no Docker daemon socket at /nonexistent/docker.sock") !=
        std::string::npos);
  CHECK(result.out.find(
            "ok    host driver            535.104.05, supports CUDA 12.2 (--driver-version)") !=
        std::string::npos);
  CHECK(result.out.find("ok    gpus                   0: GPU (sm_80)") != std::string::npos);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("doctor: the GPUs' health as NVML reports it", "[engine][doctor][gpu-health]") {
  JobFixture job;
  Invocation well;
  well.env["DLRUN_NVML_LIBRARY"] = DLRUN_FAKE_NVML;
  const auto fine = nlohmann::json::parse(job.dlrun({"doctor", "--output", "json"}, well).out);
  CHECK(check_named(fine, "gpu health")["status"] == "ok");

  Invocation broken = well;
  broken.env["FAKE_NVML_REMAP_FAILED"] = "0";
  broken.env["FAKE_NVML_REMAP_PENDING"] = "1";
  const auto result = job.dlrun({"doctor", "--output", "json"}, broken);
  CHECK(result.exit_code == 1);
  const auto health = check_named(nlohmann::json::parse(result.out), "gpu health");
  CHECK(health["status"] == "fail");
  const std::string detail = health["detail"];
  CHECK(detail.find("GPU 0 (GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3) "
                    "failed to remap a row of bad memory") != std::string::npos);
  CHECK(detail.find("(jobs are refused it)") != std::string::npos);
  CHECK(detail.find("GPU 1 (GPU-66666666-7777-8888-9999-000000000000, NVIDIA GeForce RTX 4090) "
                    "has a row remap of bad memory pending") != std::string::npos);
  CHECK(health["fix"].get<std::string>().find("nvidia-smi -r -i 1") != std::string::npos);
}

}  // namespace dlrun::testing
