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

TEST_CASE("Podman 4.3 gets no GPU job: refused before the pull, or when it drops the request",
          "[engine][gpu]") {
  JobFixture job;
  // Its Docker API takes no CDI device requests: refused before anything is pulled.
  const auto result =
      job.dlrun({"train", job.write_spec({{"gpus", 1}, {"command", {"echo", "ran"}}})}, {},
                job.engine().podman_host());
  CHECK(result.exit_code == 125);
  CHECK(result.out.empty());
  CHECK(result.err.find("dlrun: error: the job asks for GPUs, but Podman 4.3.1 takes no CDI "
                        "device requests through its Docker API (Podman 5.4 and later do)") !=
        std::string::npos);
  CHECK(result.err.find("hint: upgrade Podman to 5.4 or later") != std::string::npos);
  // Asked for NVIDIA's hook, it takes the request, creates the container and leaves the GPUs
  // out: dlrun sees that before the start.
  const auto legacy = job.dlrun({"train", "--gpu-path", "legacy",
                                 job.write_spec({{"gpus", 1}, {"command", {"echo", "ran"}}})},
                                {}, job.engine().podman_host());
  CHECK(legacy.exit_code == 125);
  CHECK(legacy.out.empty());
  CHECK(legacy.err.find("dlrun: error: the job asks for GPUs, but Podman 4.3.1 dropped the "
                        "request: it passes no GPUs through the Docker API's device requests") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("GPUs as CDI devices: exactly the asked-for devices' edits arrive in the container",
          "[engine][gpu][cdi]") {
  JobFixture job;
  // What of the fake GPUs' edits the container has: variables, device nodes, mounts.
  const std::string show =
      "env | grep ^DLRUN_FAKE_ | sort; ls /dev | grep dlrun-gpu; cat /run/dlrun-gpu-*";
  struct Case {
    nlohmann::json gpus;
    std::string seen;
  };
  const std::vector<Case> cases = {
      {"all", "DLRUN_FAKE_GPU_0=1\nDLRUN_FAKE_GPU_1=1\ndlrun-gpu-0\ndlrun-gpu-1\n0\n1\n"},
      {2, "DLRUN_FAKE_GPU_0=1\nDLRUN_FAKE_GPU_1=1\ndlrun-gpu-0\ndlrun-gpu-1\n0\n1\n"},
      {nlohmann::json::array({1}), "DLRUN_FAKE_GPU_1=1\ndlrun-gpu-1\n1\n"},
      {nlohmann::json::array({"GPU-11111111-2222-3333-4444-555555555555"}),
       "DLRUN_FAKE_GPU_1=1\ndlrun-gpu-1\n1\n"},
      {nlohmann::json::array({"0:1"}), "DLRUN_FAKE_GPU_MIG_0_1=1\ndlrun-gpu-mig-0-1\nmig-0-1\n"},
  };
  for (const auto& [engine, host] : std::vector<std::pair<std::string, std::string>>{
           {"docker-cdi", job.engine().cdi_host()}, {"podman5", job.engine().podman5_host()}}) {
    // A first job teaches dlrun what the restricted engine refuses (memlock): runc under
    // Podman 5 sometimes loses its own words for that refusal ("read init-p: connection reset
    // by peer"), which no one could read as a refused limit.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (job.dlrun({"train", "-q", job.write_spec({{"command", {"true"}}}, "warm.json")}, {}, host)
              .exit_code == 0)
        break;
    }
    for (const auto& [gpus, seen] : cases) {
      INFO(engine << ", gpus " << gpus.dump());
      const auto result =
          job.dlrun({"train", "-q", job.write_spec({{"gpus", gpus}, {"command", show}})}, {}, host);
      INFO(result.err);
      CHECK(result.exit_code == 0);
      CHECK(result.out == seen);
    }
    // The dry run says which path and why.
    const auto dry = job.dlrun({"train", "--dry-run", job.write_spec({{"gpus", 1}})}, {}, host);
    INFO(dry.err);
    CHECK(dry.out.find("gpus: 1 by CDI: ") != std::string::npos);
    CHECK(dry.out.find("--device nvidia.com/gpu=0") != std::string::npos);
  }
  // And the result a CI step reads says so.
  const auto reported =
      job.dlrun({"train", "--output", "json",
                 job.write_spec({{"gpus", {"0:1"}}, {"command", {"true"}}}, "reported.json")},
                {}, job.engine().cdi_host());
  INFO(reported.err);
  const auto result = nlohmann::json::parse(reported.out);
  CHECK(result["engine"].get<std::string>().starts_with("Docker 26."));
  CHECK(result["gpus"]["path"] == "cdi");
  CHECK(result["gpus"]["devices"] == nlohmann::json::array({"nvidia.com/gpu=0:1"}));
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a CDI device the host's spec does not list is refused with those it does",
          "[engine][gpu][cdi]") {
  JobFixture job;
  const auto result = job.dlrun({"train", job.write_spec({{"gpus", {"7"}}, {"command", {"true"}}})},
                                {}, job.engine().cdi_host());
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: gpus: NVIDIA's CDI spec has no device \"7\"; it lists 0, "
                        "1, GPU-11111111-2222-3333-4444-555555555555, 0:1, all") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
  // On the hook's engine the same spec still asks the hook, by device request.
  const auto legacy = job.dlrun({"train", "--dry-run", job.write_spec({{"gpus", {"1"}}})});
  CHECK(legacy.out.find("gpus: 1 by legacy hook: ") != std::string::npos);
  CHECK(legacy.out.find("--gpus '\"device=1\"'") != std::string::npos);
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

namespace dlrun::testing {

TEST_CASE("a job whose last output shows a GPU failure is told the cause and the fix",
          "[engine][gpu]") {
  JobFixture job;
  // A GPU job whose container lost its GPUs mid-run, as nvidia-smi says it there (exit 255).
  const auto lost =
      job.dlrun({"train", "--output", "json",
                 job.write_spec({{"gpus", 1},
                                 {"command",
                                  "echo step 1200; echo 'Failed to initialize NVML: Unknown "
                                  "Error'; exit 255"}})});
  INFO(lost.err);
  CHECK(lost.exit_code == 255);  // the job's own
  CHECK(lost.err.find("dlrun: error: the job's output shows a GPU failure: the container lost "
                      "its GPUs while the job ran. Likely cause: with the systemd cgroup driver, "
                      "a `systemctl daemon-reload`") != std::string::npos);
  CHECK(lost.err.find("hint: a new container has its GPUs again") != std::string::npos);
  CHECK(lost.err.find("https://github.com/NVIDIA/nvidia-container-toolkit/issues/48") !=
        std::string::npos);
  const auto result = nlohmann::json::parse(lost.out);
  CHECK(result["reason"] == "failed");
  CHECK(result["gpu_failure"]["id"] == "nvml-lost");
  CHECK(result["gpu_failure"]["fix"].get<std::string>().find("nvidia-ctk cdi generate") !=
        std::string::npos);

  // Detached: `dlrun wait` reads the end of the job's kept log.
  const auto started = job.dlrun({"train", "-d",
                                  job.write_spec({{"command",
                                                   "echo 'Failed to initialize NVML: Unknown "
                                                   "Error'; exit 255"}},
                                                 "detached.json")});
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const auto waited = job.dlrun({"wait", "--output", "json", id});
  INFO(waited.err);
  CHECK(waited.exit_code == 255);
  CHECK(waited.err.find("a GPU failure: the container lost its GPUs") != std::string::npos);
  CHECK(nlohmann::json::parse(waited.out)[0]["gpu_failure"]["id"] == "nvml-lost");
  CHECK(job.dlrun({"rm", id}).exit_code == 0);

  // On stderr, as PyTorch raises it, and after a SIGABRT (C++ frameworks abort on CUDA errors).
  const auto crashed =
      job.dlrun({"train", "-q",
                 job.write_spec({{"command",
                                  "echo 'RuntimeError: CUDA error: an illegal memory access was "
                                  "encountered' >&2; kill -ABRT $$"}},
                                "crashed.json")});
  CHECK(crashed.exit_code == 134);
  CHECK(crashed.err.find("a GPU failure: a kernel read or wrote GPU memory outside its own") !=
        std::string::npos);

  // Not told: a job that succeeds whatever it printed, one that fails for another reason, and
  // words that scrolled out of the last 16 KiB.
  const auto succeeded =
      job.dlrun({"train", "-q",
                 job.write_spec({{"command", "echo 'NCCL error: unhandled system error'; exit 0"}},
                                "ok.json")});
  CHECK(succeeded.exit_code == 0);
  CHECK(succeeded.err.find("GPU failure") == std::string::npos);
  const auto plain = job.dlrun(
      {"train", "-q", job.write_spec({{"command", "echo 'KeyError: lr' >&2; exit 1"}}, "p.json")});
  CHECK(plain.exit_code == 1);
  CHECK(plain.err.find("GPU failure") == std::string::npos);
  const auto scrolled =
      job.dlrun({"train", "-q",
                 job.write_spec({{"command",
                                  "echo 'GPU is lost'; head -c 40000 /dev/zero | tr '\\0' x; "
                                  "exit 1"}},
                                "s.json")});
  CHECK(scrolled.exit_code == 1);
  CHECK(scrolled.err.find("GPU failure") == std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("a GPU that NVML reports broken is refused before the start, a worn one warned of",
          "[engine][gpu][gpu-health]") {
  JobFixture job;
  const auto with_nvml = [](std::map<std::string, std::string> faults) {
    Invocation invocation;
    invocation.env = std::move(faults);
    invocation.env["DLRUN_NVML_LIBRARY"] = DLRUN_FAKE_NVML;
    return invocation;
  };
  const std::string spec = job.write_spec({{"gpus", "all"}, {"command", "echo ran"}});

  // GPU 1 fell off the bus: the job asking for every GPU is refused it, with the way out.
  const auto lost = job.dlrun({"train", spec}, with_nvml({{"FAKE_NVML_LOST", "1"}}));
  INFO(lost.err);
  CHECK(lost.exit_code == 125);
  CHECK(lost.err.find("dlrun: error: GPU 1 cannot be used: NVML says the GPU is lost") !=
        std::string::npos);
  CHECK(lost.err.find("hint: leave it out: --gpus 0 (or \"gpus\": [\"0\"] in the spec); a lost "
                      "GPU (Xid 79") != std::string::npos);
  CHECK(lost.out.find("ran") == std::string::npos);
  // Taking the way out, the job runs on the GPU that is well.
  const auto healthy_one =
      job.dlrun({"train", "--gpus", "0", spec}, with_nvml({{"FAKE_NVML_LOST", "1"}}));
  CHECK(healthy_one.exit_code == 0);
  CHECK(healthy_one.out == "ran\n");

  // Uncorrectable ECC errors on GPU 0: refused by index and UUID.
  const auto ecc = job.dlrun({"train", spec}, with_nvml({{"FAKE_NVML_ECC", "0:2"}}));
  CHECK(ecc.exit_code == 125);
  CHECK(ecc.err.find("GPU 0 (GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3) "
                     "has had 2 uncorrectable ECC errors") != std::string::npos);
  CHECK(ecc.err.find("--gpus 1") != std::string::npos);

  // Pages pending retirement, and most of a GPU's memory held: warned of, and the job runs.
  const auto worn = job.dlrun(
      {"train", spec},
      with_nvml({{"FAKE_NVML_RETIRED_PENDING", "1"}, {"FAKE_NVML_MEMORY_USED", "0:70000000000"}}));
  INFO(worn.err);
  CHECK(worn.exit_code == 0);
  CHECK(worn.out == "ran\n");
  CHECK(worn.err.find("warning: GPU 1 (GPU-66666666-7777-8888-9999-000000000000, NVIDIA "
                      "GeForce RTX 4090) has memory pages pending retirement") !=
        std::string::npos);
  CHECK(worn.err.find("warning: GPU 0 (GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 "
                      "80GB HBM3) has 65.2 GiB of its 80.0 GiB in use by other processes") !=
        std::string::npos);
  // A job without GPUs reads no NVML, and is not held back by a broken GPU.
  CHECK(job.dlrun({"train", job.write_spec({{"command", "echo ran"}}, "cpu.json")},
                  with_nvml({{"FAKE_NVML_LOST", "0"}}))
            .exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
