// The daemon's real GPU path, with a test double of NVIDIA's hook standing in for the driver.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The environment the hook double saw in the container's OCI config, by the job's label.
std::vector<std::string> hook_saw_env_for(const fs::path& calls, const std::string& run_label) {
  for (const auto& entry : fs::directory_iterator(calls)) {
    if (!entry.path().string().ends_with(".config.json")) continue;
    std::ifstream in(entry.path());
    json config;
    try {
      config = json::parse(in);
    } catch (const json::exception&) {
      continue;
    }
    const auto env = config["process"]["env"].get<std::vector<std::string>>();
    for (const auto& var : env) {
      if (var == "RUN_LABEL=" + run_label) return env;
    }
  }
  return {};
}

}  // namespace

TEST_CASE("GPU requests reach the container as NVIDIA_VISIBLE_DEVICES through the NVIDIA hook",
          "[engine][gpu]") {
  const std::pair<json, std::string> cases[] = {
      {"all", "all"},
      {2, "0,1"},
      {json::array({"0", "2"}), "0,2"},
      {json::array({"GPU-8a2f0c1e-0000-1111-2222-333344445555"}),
       "GPU-8a2f0c1e-0000-1111-2222-333344445555"},
  };
  for (const auto& [gpus, visible] : cases) {
    JobFixture job;
    INFO("gpus: " << gpus.dump());
    const auto result =
        job.dlrun({"train", "-q",
                   job.write_spec(
                       {{"gpus", gpus},
                        {"env", {{"RUN_LABEL", job.run_label()}}},
                        {"command", "echo $NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES"}})});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == visible + " compute,utility\n");
    // The daemon ran the hook as a prestart hook for this very container.
    const auto env = hook_saw_env_for(job.engine().hook_calls(), job.run_label());
    CHECK(std::find(env.begin(), env.end(), "NVIDIA_VISIBLE_DEVICES=" + visible) != env.end());
    CHECK(job.leftover_containers().empty());
  }
}

TEST_CASE("the gpus flag overrides the spec", "[engine][gpu]") {
  JobFixture job;
  const auto result =
      job.dlrun({"train", "-q", "--gpus", "1,3",
                 job.write_spec({{"gpus", "all"}, {"command", "echo $NVIDIA_VISIBLE_DEVICES"}})});
  CHECK(result.out == "1,3\n");
}

TEST_CASE("a job without GPUs sees none, even from an image that asks for all", "[engine][gpu]") {
  JobFixture job;
  const auto result =
      job.dlrun({"train", "-q", job.write_spec({{"command", "echo $NVIDIA_VISIBLE_DEVICES"}})});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "void\n");
}

TEST_CASE("a daemon without the NVIDIA driver gets a clear error and no container",
          "[engine][gpu]") {
  JobFixture job;
  const auto result = job.dlrun({"train", job.write_spec({{"gpus", "all"}, {"command", {"true"}}})},
                                {}, job.engine().plain_host());
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: the job asks for GPUs, but the Docker daemon at " +
                        job.engine().plain_host() +
                        " has no NVIDIA device driver (could not select device driver \"\" with "
                        "capabilities: [[gpu]])") != std::string::npos);
  CHECK(
      result.err.find(
          "hint: install the NVIDIA Container Toolkit on the Docker host and restart the daemon") !=
      std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("an engine that drops GPU requests (Podman) refuses the job, never runs it on the CPU",
          "[engine][gpu]") {
  JobFixture job;
  // Podman's Docker API takes the request, creates the container and leaves the GPUs out.
  const auto result =
      job.dlrun({"train", job.write_spec({{"gpus", 1}, {"command", {"echo", "ran"}}})}, {},
                job.engine().podman_host());
  CHECK(result.exit_code == 125);
  CHECK(result.out.empty());
  CHECK(result.err.find("dlrun: error: the job asks for GPUs, but Podman 4.3.1 dropped the "
                        "request: it passes no GPUs through the Docker API's device requests") !=
        std::string::npos);
  CHECK(result.err.find("hint: Podman's Docker API passes GPUs only as CDI devices") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a failing NVIDIA hook (driver not loaded) is reported with its own words",
          "[engine][gpu]") {
  JobFixture job;
  // The hook stand-in fails, as the real one does without a loaded driver, for this container.
  const auto result = job.dlrun({"train", job.write_spec({{"gpus", 1},
                                                          {"env", {{"DLRUN_TEST_HOOK_FAIL", "1"}}},
                                                          {"command", {"true"}}})});
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: the NVIDIA container hook failed: ") != std::string::npos);
  CHECK(result.err.find("nvml error: driver not loaded") != std::string::npos);
  CHECK(result.err.find("hint: check that the host's driver works (nvidia-smi)") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("an image whose CUDA needs the driver cannot meet is refused before create",
          "[engine][gpu]") {
  JobFixture job;
  const std::string spec = job.write_spec({{"image", "dlrun-test/cuda12.4:1"},
                                           {"gpus", "all"},
                                           {"env", {{"RUN_LABEL", job.run_label()}}},
                                           {"command", {"echo", "ran"}}});
  const auto old_driver = job.dlrun({"train", "--driver-version", "535.104.05", spec});
  CHECK(old_driver.exit_code == 125);
  // The error and its hint end the output (only dlrun's info lines may come before them).
  CHECK(old_driver.err.ends_with(
      "dlrun: error: the image dlrun-test/cuda12.4:1 requires cuda>=12.4 (its "
      "NVIDIA_REQUIRE_CUDA), but this host's "
      "driver 535.104.05 supports CUDA 12.2 (from --driver-version)\n"
      "hint: upgrade the host's NVIDIA driver to 550.54.14 or newer (CUDA 12.4's), or choose an "
      "image built for CUDA "
      "12.2 or older; the check is NVIDIA's own, done before anything is created\n"));
  CHECK(old_driver.err.find("dlrun: warning") == std::string::npos);
  CHECK(hook_saw_env_for(job.engine().hook_calls(), job.run_label()).empty());
  CHECK(job.leftover_containers().empty());

  // The same spec on a new enough driver, given through the environment this time.
  Invocation new_driver;
  new_driver.env["DLRUN_DRIVER_VERSION"] = "550.54.14";
  const auto fits = job.dlrun({"train", "-q", spec}, new_driver);
  INFO(fits.err);
  CHECK(fits.exit_code == 0);
  CHECK(fits.out == "ran\n");
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("an image the catalog knows cannot use a GPU runs when named, with a warning",
          "[engine][gpu]") {
  JobFixture job;
  // The catalog's TensorFlow 2.19.0 image carries a cuDNN its TensorFlow cannot load.
  const std::string broken = "tensorflow/tensorflow:2.19.0-gpu";
  const auto docker = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/docker", "-H", job.engine().gpu_host()});
    return run_process({.args = args});
  };
  REQUIRE(docker({"tag", "dlrun-test/busybox:1", broken}).exit_code == 0);
  const auto gpu = job.dlrun(
      {"train", job.write_spec({{"image", broken}, {"gpus", 1}, {"command", {"echo", "ran"}}})});
  // Without GPUs the same image is only a CPU image: nothing to say.
  const auto cpu =
      job.dlrun({"train", job.write_spec({{"image", broken}, {"command", {"echo", "ran"}}})});
  docker({"rmi", broken});
  INFO(gpu.err);
  CHECK(gpu.exit_code == 0);
  CHECK(gpu.out == "ran\n");
  CHECK(gpu.err.find("dlrun: warning: image " + broken +
                     ": TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9 "
                     "and TensorFlow 2.19 is built with cuDNN 9.3") != std::string::npos);
  INFO(cpu.err);
  CHECK(cpu.exit_code == 0);
  CHECK(cpu.out == "ran\n");
  CHECK(cpu.err.find("cannot use a GPU") == std::string::npos);
}

}  // namespace dlrun::testing
