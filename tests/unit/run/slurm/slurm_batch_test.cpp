// dlrun submit's batch script: what sbatch is asked for, and how each node runs the job.
#include "dlrun/run/slurm/slurm_batch.hpp"

#include <catch2/catch.hpp>

namespace dlrun::run {
namespace {

jobspec::JobSpec spec_with(jobspec::GpuRequest gpus) {
  jobspec::JobSpec spec;
  spec.name = "resnet";
  spec.gpus = std::move(gpus);
  return spec;
}

Result<BatchJob> script_for(const jobspec::JobSpec& spec, const SubmitOptions& options = {}) {
  return batch_job(spec, "/home/me/train.json", "/usr/bin/dlrun", options,
                   "/home/me/.local/state/dlrun/slurm", "/tmp/job.sh");
}

bool has_line(const std::string& script, const std::string& line) {
  return script.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the batch script runs dlrun train once per node, its output kept by job id",
          "[run][slurm]") {
  const auto job = script_for(spec_with(jobspec::GpuCount{2}));
  REQUIRE(job);
  CHECK(job->script.starts_with("#!/bin/sh\n"));
  CHECK(has_line(job->script, "#SBATCH --job-name=resnet"));
  CHECK(has_line(job->script, "#SBATCH --output=/home/me/.local/state/dlrun/slurm/%j.out"));
  CHECK(has_line(job->script, "#SBATCH --nodes=1"));
  CHECK(has_line(job->script, "#SBATCH --ntasks-per-node=1"));
  CHECK(has_line(job->script, "#SBATCH --gres=gpu:2"));
  CHECK(
      has_line(job->script, "srun --kill-on-bad-exit=1 /usr/bin/dlrun train /home/me/train.json"));
  CHECK(has_line(job->script,
                 "echo \"$code\" > /home/me/.local/state/dlrun/slurm/\"$SLURM_JOB_ID\".exit"));
  CHECK(job->sbatch_command == std::vector<std::string>{"sbatch", "--parsable", "/tmp/job.sh"});
  // sbatch reads #SBATCH lines only before the first command.
  CHECK(job->script.find("#SBATCH") < job->script.find("\nsrun"));
  CHECK(job->script.rfind("#SBATCH") < job->script.find("\nsrun"));
}

TEST_CASE("GPUs per node: the flag, the spec's distributed, its count, and all is whole nodes",
          "[run][slurm]") {
  CHECK(has_line(script_for(spec_with(jobspec::GpuAll{}))->script, "#SBATCH --exclusive"));
  CHECK(script_for(spec_with(jobspec::GpuNone{}))->script.find("gpu") == std::string::npos);
  CHECK(has_line(script_for(spec_with(jobspec::GpuAll{}), {.gpus_per_node = 4})->script,
                 "#SBATCH --gres=gpu:4"));
  auto distributed = spec_with(jobspec::GpuAll{});
  distributed.distributed = jobspec::Distributed{.nodes = 2, .gpus_per_node = 8};
  const auto wired = script_for(distributed);
  CHECK(has_line(wired->script, "#SBATCH --gres=gpu:8"));
  CHECK(has_line(wired->script, "#SBATCH --nodes=2"));
  // --nodes goes to each dlrun train too, so that a spec without "distributed" is wired.
  const auto flagged = script_for(spec_with(jobspec::GpuCount{1}), {.nodes = 3});
  CHECK(has_line(flagged->script, "#SBATCH --nodes=3"));
  CHECK(flagged->script.find("train /home/me/train.json --nodes 3\n") != std::string::npos);

  const auto named = script_for(spec_with(jobspec::GpuList{{"0", "2"}}));
  REQUIRE_FALSE(named);
  CHECK(named.error().kind == ErrorKind::usage);
  CHECK(named.error().hint.find("\"gpus\": 2") != std::string::npos);
  const auto too_many = script_for(spec_with(jobspec::GpuCount{4}), {.gpus_per_node = 2});
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().message == "the job asks for 4 GPUs, but would be given 2 per node");
}

TEST_CASE("partition, account, time and sbatch's own options", "[run][slurm]") {
  const auto job = script_for(spec_with(jobspec::GpuCount{1}),
                              {.partition = "gpu",
                               .time = "6h",
                               .account = "vision lab",
                               .sbatch_args = {"--qos=high"},
                               .dlrun_options = {"--host", "unix:///run/docker.sock"}});
  REQUIRE(job);
  CHECK(has_line(job->script, "#SBATCH --partition=gpu"));
  CHECK(has_line(job->script, "#SBATCH --time=0-06:00:00"));
  CHECK(has_line(job->script, "#SBATCH --account='vision lab'"));
  CHECK(job->script.find("/usr/bin/dlrun --host unix:///run/docker.sock train ") !=
        std::string::npos);
  CHECK(job->sbatch_command ==
        std::vector<std::string>{"sbatch", "--parsable", "--qos=high", "/tmp/job.sh"});
}

TEST_CASE("time limits: Slurm's forms pass, dlrun's durations are converted", "[run][slurm]") {
  for (const char* slurm_form :
       {"90", "1:30", "1:30:00", "2-00", "2-12:30", "2-12:30:15", "UNLIMITED"}) {
    CHECK(slurm_time_limit(slurm_form).value() == slurm_form);
  }
  CHECK(slurm_time_limit("90s").value() == "0-00:01:30");
  CHECK(slurm_time_limit("1h30m").value() == "0-01:30:00");
  CHECK(slurm_time_limit("50h").value() == "2-02:00:00");
  for (const char* wrong : {"soon", "", "1:2:3:4", "-5", "0s"}) {
    const auto refused = slurm_time_limit(wrong);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::usage);
  }
}

}  // namespace dlrun::run
