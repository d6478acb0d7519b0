#include "dlrun/run/plan/gpu_path.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/docker_command.hpp"
#include "dlrun/run/plan/plan.hpp"

namespace dlrun::run {
namespace {

jobspec::JobSpec spec_with(const std::string& fields) {
  auto spec = jobspec::parse_job_spec(R"({"version": 1, "image": "busybox")" + fields + "}", ".",
                                      "t", [](std::string_view) { return std::nullopt; });
  REQUIRE(spec);
  return *spec;
}

EngineProfile docker(std::string version, std::vector<std::string> cdi_dirs = {}) {
  return EngineProfile{.product = EngineProduct::docker,
                       .version = std::move(version),
                       .cdi_spec_dirs = std::move(cdi_dirs)};
}

EngineProfile podman(std::string version) {
  return EngineProfile{.product = EngineProduct::podman,
                       .version = std::move(version),
                       .cdi_spec_dirs = {"/etc/cdi", "/var/run/cdi"}};
}

// What nvidia-ctk cdi generate lists for two GPUs, one of them split in MIG devices.
const std::vector<std::string> kListed = {"0", "1", "0:1", "GPU-11111111", "all"};

}  // namespace

TEST_CASE("auto takes CDI where the engine has it and NVIDIA's CDI spec lists the GPUs",
          "[run][plan][gpu]") {
  const auto all = spec_with(R"(, "gpus": "all")");
  const auto cdi_docker = docker("26.1.5", {"/etc/cdi", "/var/run/cdi"});

  auto chosen = choose_gpu_path(all, cdi_docker, kListed);
  REQUIRE(chosen);
  CHECK(chosen->delivery == GpuDelivery::cdi);
  CHECK(chosen->cdi_devices == std::vector<std::string>{"nvidia.com/gpu=all"});
  CHECK(chosen->reason == "Docker 26.1.5 has CDI, and NVIDIA's CDI spec lists the GPUs");

  // No spec for NVIDIA's GPUs, CDI off, no CDI at all, a spec out of sight: the hook.
  CHECK(choose_gpu_path(all, cdi_docker, std::vector<std::string>{})->delivery ==
        GpuDelivery::legacy_hook);
  CHECK(choose_gpu_path(all, docker("26.1.5"), kListed)->delivery == GpuDelivery::legacy_hook);
  CHECK(choose_gpu_path(all, docker("20.10.24"), std::nullopt)->reason ==
        "Docker 20.10.24 takes no CDI device requests: NVIDIA's hook");
  CHECK(choose_gpu_path(all, cdi_docker, std::nullopt)->delivery == GpuDelivery::legacy_hook);
  CHECK(choose_gpu_path(all, std::nullopt, std::nullopt)->delivery == GpuDelivery::legacy_hook);
  // No GPUs: no path.
  CHECK(choose_gpu_path(spec_with(""), cdi_docker, kListed)->delivery == GpuDelivery::none);

  // Podman: CDI from 5.4 (whatever dlrun can read of its specs); before, a refusal.
  auto on_podman = choose_gpu_path(all, podman("5.4.2"), std::nullopt);
  REQUIRE(on_podman);
  CHECK(on_podman->delivery == GpuDelivery::cdi);
  auto old_podman = choose_gpu_path(all, podman("4.3.1"), std::nullopt);
  REQUIRE_FALSE(old_podman);
  CHECK(old_podman.error().kind == ErrorKind::no_gpu_driver);
  CHECK(old_podman.error().message ==
        "the job asks for GPUs, but Podman 4.3.1 takes no CDI device requests through its Docker "
        "API (Podman 5.4 and later do)");
}

TEST_CASE("a count, indexes, UUIDs and MIG devices become CDI device names", "[run][plan][gpu]") {
  const auto cdi = docker("28.2.2", {"/etc/cdi", "/var/run/cdi"});
  const auto devices = [&](const std::string& gpus,
                           const std::optional<std::vector<std::string>>& listed) {
    auto chosen =
        choose_gpu_path(spec_with(R"(, "gpu_path": "cdi", "gpus": )" + gpus), cdi, listed);
    REQUIRE(chosen);
    CHECK(chosen->delivery == GpuDelivery::cdi);
    return chosen->cdi_devices;
  };
  // A count takes whole GPUs by index, in index order, from what the spec lists.
  CHECK(devices("2", std::vector<std::string>{"all", "10", "1", "0:1", "0"}) ==
        std::vector<std::string>{"nvidia.com/gpu=0", "nvidia.com/gpu=1"});
  // Out of sight (a remote engine): NVIDIA's index names.
  CHECK(devices("2", std::nullopt) ==
        std::vector<std::string>{"nvidia.com/gpu=0", "nvidia.com/gpu=1"});
  CHECK(devices(R"(["1"])", kListed) == std::vector<std::string>{"nvidia.com/gpu=1"});
  CHECK(devices(R"(["GPU-11111111"])", kListed) ==
        std::vector<std::string>{"nvidia.com/gpu=GPU-11111111"});
  CHECK(devices(R"(["0:1"])", kListed) == std::vector<std::string>{"nvidia.com/gpu=0:1"});

  // What the spec does not have is refused, with what it has.
  auto too_many = choose_gpu_path(spec_with(R"(, "gpu_path": "cdi", "gpus": 3)"), cdi, kListed);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().message ==
        "the job asks for 3 GPUs, but NVIDIA's CDI spec lists 2 (0, 1, 0:1, GPU-11111111, all)");
  auto unknown = choose_gpu_path(spec_with(R"(, "gpu_path": "cdi", "gpus": ["7"])"), cdi, kListed);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message ==
        "gpus: NVIDIA's CDI spec has no device \"7\"; it lists 0, 1, 0:1, GPU-11111111, all");
  CHECK(unknown.error().hint.find("nvidia-ctk cdi generate") != std::string::npos);
}

TEST_CASE("gpu_path cdi on an engine without CDI is refused with its fix", "[run][plan][gpu]") {
  const auto cdi = spec_with(R"(, "gpu_path": "cdi", "gpus": 1)");
  auto off = choose_gpu_path(cdi, docker("26.1.5"), std::nullopt);
  REQUIRE_FALSE(off);
  CHECK(off.error().message == "CDI is off in Docker 26.1.5");
  CHECK(off.error().hint.starts_with("set \"features\": {\"cdi\": true} in its daemon.json"));
  auto old = choose_gpu_path(cdi, docker("20.10.24+dfsg1"), std::nullopt);
  REQUIRE_FALSE(old);
  CHECK(old.error().message ==
        "Docker 20.10.24+dfsg1 has no CDI (Docker Engine 25 and later have it)");
  // legacy is the hook, whatever the engine has.
  CHECK(choose_gpu_path(spec_with(R"(, "gpu_path": "legacy", "gpus": 1)"),
                        docker("28.2.2", {"/etc/cdi"}), kListed)
            ->delivery == GpuDelivery::legacy_hook);
}

TEST_CASE("the create request and the docker command carry the path the plan chose",
          "[run][plan][gpu]") {
  HostContext host;
  host.run_suffix = "ffffff";
  PlanInputs inputs{.spec = spec_with(R"(, "gpus": ["0", "0:1"])"),
                    .host = host,
                    .engine = docker("28.2.2", {"/etc/cdi", "/var/run/cdi"}),
                    .cdi_gpus = kListed};
  auto plan = make_plan(inputs);
  REQUIRE(plan);
  const auto body = nlohmann::json::parse(create_request_body(*plan, Secrets::revealed));
  CHECK(body["HostConfig"]["DeviceRequests"] ==
        nlohmann::json::parse(
            R"([{"Driver": "cdi", "DeviceIDs": ["nvidia.com/gpu=0", "nvidia.com/gpu=0:1"]}])"));
  const std::string command = docker_run_command(*plan);
  CHECK(command.find("--device nvidia.com/gpu=0 --device nvidia.com/gpu=0:1") != std::string::npos);
  CHECK(command.find("--gpus") == std::string::npos);
  // The same spec on the legacy engine still asks the hook.
  inputs.engine = docker("20.10.24");
  auto legacy = make_plan(inputs);
  REQUIRE(legacy);
  const auto legacy_body = nlohmann::json::parse(create_request_body(*legacy, Secrets::revealed));
  CHECK(legacy_body["HostConfig"]["DeviceRequests"][0]["Driver"] == "");
  CHECK(legacy_body["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] ==
        nlohmann::json::parse(R"(["0", "0:1"])"));
}

}  // namespace dlrun::run
