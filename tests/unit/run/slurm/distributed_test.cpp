// One job over several nodes: the variables torchrun reads, from Slurm or from the flags.
#include "dlrun/run/slurm/distributed.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/docker_command.hpp"

namespace dlrun::run {
namespace {

std::map<std::string, std::string> env_of(const jobspec::JobSpec& spec) {
  std::map<std::string, std::string> values;
  for (const auto& variable : spec.env) {
    values[variable.name] = std::get<jobspec::LiteralValue>(variable.value).value;
  }
  return values;
}

jobspec::JobSpec distributed(int nodes, std::optional<int> gpus_per_node = std::nullopt) {
  jobspec::JobSpec spec;
  spec.name = "ddp";
  spec.distributed = jobspec::Distributed{.nodes = nodes, .gpus_per_node = gpus_per_node};
  return spec;
}

}  // namespace

TEST_CASE("the first host of a Slurm host list", "[run][distributed]") {
  CHECK(first_host("node7") == "node7");
  CHECK(first_host("gpu[03-05,07],cpu1") == "gpu03");
  CHECK(first_host("a1,b2") == "a1");
  CHECK(first_host("dgx[12,14]") == "dgx12");
}

TEST_CASE("inside Slurm, the node's rank and the first node come from the allocation",
          "[run][distributed]") {
  auto spec = distributed(2, 8);
  const SlurmAllocation slurm{.job_id = "777", .node_id = 1, .nodes = 2, .nodelist = "dgx[12-13]"};
  REQUIRE(wire_distributed(spec, slurm, {}).has_value());
  CHECK(spec.network == jobspec::NetworkMode::host);
  CHECK(std::get<jobspec::GpuCount>(spec.gpus).count == 8);
  CHECK(env_of(spec) == std::map<std::string, std::string>{{"MASTER_ADDR", "dgx12"},
                                                           {"MASTER_PORT", "29500"},
                                                           {"NNODES", "2"},
                                                           {"NODE_RANK", "1"},
                                                           {"NPROC_PER_NODE", "8"},
                                                           {"RDZV_ID", "777"}});

  auto too_many = distributed(4);
  const auto refused = wire_distributed(too_many, slurm, {});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message == "the job spans 4 nodes, but Slurm job 777 has 2");
}

TEST_CASE("outside Slurm, the flags place the node, and say when they are missing",
          "[run][distributed]") {
  auto spec = distributed(1);
  spec.env.push_back({"MASTER_PORT", jobspec::LiteralValue{"6000"}});  // the spec's own wins
  spec.gpus = jobspec::GpuList{{"0", "1"}};
  REQUIRE(
      wire_distributed(spec, std::nullopt, {.nodes = 2, .node_rank = 0, .master_addr = "10.0.0.5"})
          .has_value());
  const auto env = env_of(spec);
  CHECK(env.at("MASTER_ADDR") == "10.0.0.5");
  CHECK(env.at("MASTER_PORT") == "6000");
  CHECK(env.at("NNODES") == "2");
  CHECK(env.at("NPROC_PER_NODE") == "2");
  CHECK(env.at("RDZV_ID") == "dlrun-ddp");

  auto no_rank = distributed(2);
  const auto missing = wire_distributed(no_rank, std::nullopt, {.master_addr = "node0"});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message == "which of the job's nodes this is is unknown");

  auto past_end = distributed(2);
  const auto out_of_range =
      wire_distributed(past_end, std::nullopt, {.node_rank = 2, .master_addr = "node0"});
  REQUIRE_FALSE(out_of_range.has_value());
  CHECK(out_of_range.error().message == "node rank 2 is not one of the job's 2 nodes (0 to 1)");

  auto offline = distributed(2);
  offline.network = jobspec::NetworkMode::none;
  CHECK_FALSE(
      wire_distributed(offline, std::nullopt, {.node_rank = 0, .master_addr = "n0"}).has_value());

  jobspec::JobSpec single;  // no "distributed", no flags: nothing changes
  REQUIRE(wire_distributed(single, std::nullopt, {}).has_value());
  CHECK(single.env.empty());
  CHECK(single.network == jobspec::NetworkMode::bridge);
}

TEST_CASE("a distributed job gets the host's RDMA devices, in the request and the docker line",
          "[run][distributed]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlrun-infiniband-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // Character devices are what count; /dev/null stands in for uverbs0 and rdma_cm.
  std::filesystem::create_symlink("/dev/null", dir / "uverbs0");
  std::filesystem::create_symlink("/dev/null", dir / "rdma_cm");
  std::ofstream(dir / "README") << "not a device\n";
  const auto devices = rdma_devices(dir);
  CHECK(devices ==
        std::vector<std::string>{(dir / "rdma_cm").string(), (dir / "uverbs0").string()});
  CHECK(rdma_devices(dir / "missing").empty());
  std::filesystem::remove_all(dir);

  ContainerPlan plan;
  plan.image = "nvcr.io/nvidia/pytorch:24.05-py3";
  plan.devices = {"/dev/infiniband/uverbs0"};
  const auto body = nlohmann::json::parse(create_request_body(plan, Secrets::masked));
  CHECK(body["HostConfig"]["Devices"] ==
        nlohmann::json::parse(R"([{"PathOnHost": "/dev/infiniband/uverbs0",
                                   "PathInContainer": "/dev/infiniband/uverbs0",
                                   "CgroupPermissions": "rwm"}])"));
  CHECK(docker_run_command(plan).find("--device /dev/infiniband/uverbs0") != std::string::npos);
  plan.devices.clear();
  CHECK_FALSE(
      nlohmann::json::parse(create_request_body(plan, Secrets::masked))["HostConfig"].contains(
          "Devices"));
}

}  // namespace dlrun::run
