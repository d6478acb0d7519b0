// A run inside a Slurm allocation: the spec held to what Slurm gave the job.
#include "dlrun/run/slurm/slurm_allocation.hpp"

#include <catch2/catch.hpp>
#include <map>

namespace dlrun::run {
namespace {

EnvLookup slurm(std::map<std::string, std::string> variables) {
  return [variables](std::string_view name) -> std::optional<std::string> {
    const auto found = variables.find(std::string(name));
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

// What srun --gres=gpu:2 on a node whose GPUs 0 and 1 are taken sets.
const std::map<std::string, std::string> kTwoGpus = {
    {"SLURM_JOB_ID", "4242"},        {"SLURM_STEP_ID", "0"},       {"SLURM_STEP_GPUS", "2,3"},
    {"CUDA_VISIBLE_DEVICES", "0,1"}, {"SLURM_CPUS_ON_NODE", "16"}, {"SLURM_MEM_PER_NODE", "65536"}};

jobspec::JobSpec with_gpus(jobspec::GpuRequest gpus) {
  jobspec::JobSpec spec;
  spec.gpus = std::move(gpus);
  return spec;
}

}  // namespace

TEST_CASE("outside Slurm there is no allocation", "[run][slurm]") {
  CHECK_FALSE(slurm_allocation(slurm({})).has_value());
  CHECK_FALSE(slurm_allocation(slurm({{"SLURM_STEP_GPUS", "0"}})).has_value());
}

TEST_CASE("an allocation's GPUs are Slurm's device indexes, never CUDA_VISIBLE_DEVICES",
          "[run][slurm]") {
  const auto allocation = slurm_allocation(slurm(kTwoGpus));
  REQUIRE(allocation);
  CHECK(allocation->job_id == "4242");
  CHECK(allocation->step_id == "0");
  CHECK(allocation->gpus == std::vector<std::string>{"2", "3"});
  CHECK(allocation->cpus == 16);
  CHECK(allocation->memory_bytes == 64LL << 30);

  auto batch = kTwoGpus;  // a batch script outside any step: the job's GPUs
  batch.erase("SLURM_STEP_GPUS");
  batch.erase("SLURM_STEP_ID");
  batch["SLURM_JOB_GPUS"] = "1,5";
  batch.erase("SLURM_MEM_PER_NODE");
  batch["SLURM_MEM_PER_CPU"] = "1024";
  const auto in_batch = slurm_allocation(slurm(batch));
  REQUIRE(in_batch);
  CHECK(in_batch->gpus == std::vector<std::string>{"1", "5"});
  CHECK(in_batch->gpus_from == "SLURM_JOB_GPUS");
  CHECK(in_batch->memory_bytes == 16LL << 30);
}

TEST_CASE("the spec is held to the allocation, or refused with both numbers", "[run][slurm]") {
  const auto allocation = *slurm_allocation(slurm(kTwoGpus));

  auto all = with_gpus(jobspec::GpuAll{});
  REQUIRE(fit_to_allocation(all, allocation).has_value());
  CHECK(std::get<jobspec::GpuList>(all.gpus).ids == std::vector<std::string>{"2", "3"});
  CHECK(all.resources.cpus == 16);
  CHECK(all.resources.memory_bytes == 64LL << 30);

  auto one = with_gpus(jobspec::GpuCount{1});
  REQUIRE(fit_to_allocation(one, allocation).has_value());
  CHECK(std::get<jobspec::GpuList>(one.gpus).ids == std::vector<std::string>{"2"});

  auto three = with_gpus(jobspec::GpuCount{3});
  const auto refused = fit_to_allocation(three, allocation);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::usage);
  CHECK(refused.error().message ==
        "the job asks for 3 GPUs, but Slurm job 4242 was given 2 GPUs on this node "
        "(SLURM_STEP_GPUS=2,3)");

  auto named = with_gpus(jobspec::GpuList{{"0"}});
  const auto not_allocated = fit_to_allocation(named, allocation);
  REQUIRE_FALSE(not_allocated.has_value());
  CHECK(not_allocated.error().message.starts_with("the job asks for GPU 0, but Slurm job 4242"));

  auto cpu_only = with_gpus(jobspec::GpuNone{});
  cpu_only.resources.cpus = 2;  // the spec's own value wins over the allocation's
  REQUIRE(fit_to_allocation(cpu_only, allocation).has_value());
  CHECK(std::holds_alternative<jobspec::GpuNone>(cpu_only.gpus));
  CHECK(cpu_only.resources.cpus == 2);

  auto no_gpus = kTwoGpus;
  no_gpus.erase("SLURM_STEP_GPUS");
  auto wants_all = with_gpus(jobspec::GpuAll{});
  const auto none_given = fit_to_allocation(wants_all, *slurm_allocation(slurm(no_gpus)));
  REQUIRE_FALSE(none_given.has_value());
  CHECK(none_given.error().message ==
        "the job asks for all GPUs, but Slurm job 4242 was given no GPUs on this node");
}

TEST_CASE("inside Slurm, a stop's grace ends before Slurm's SIGKILL of dlrun", "[run][slurm]") {
  CHECK(stop_grace_within(std::nullopt) == 10);  // dlrun's own where KillWait is unknown
  CHECK(stop_grace_within(30) == 10);            // Slurm's default KillWait leaves it be
  CHECK(stop_grace_within(5) == 3);
  CHECK(stop_grace_within(1) == 1);
}

}  // namespace dlrun::run
