// dlrun inside a Slurm allocation, on a real (one-node) Slurm with fake GPUs: the container gets
// Slurm's GPUs, not the node's, and records which Slurm job it belongs to.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

ProcessResult slurm(const JobFixture& job, std::vector<std::string> args) {
  Invocation as{.args = std::move(args)};
  as.env["SLURM_CONF"] = job.engine().slurm_conf().string();
  as.env["DOCKER_HOST"] = job.engine().gpu_host();
  as.env["XDG_CACHE_HOME"] = (job.engine().dir / "cache").string();
  as.limit = std::chrono::seconds(120);
  return run_process(as);
}

// Holds two of the node's four GPUs (0 and 1) for a while, so that an srun beside it is given
// the other two: Slurm's indexes, which no "first N GPUs" guess would give.
class HeldGpus {
 public:
  explicit HeldGpus(const JobFixture& job) : job_(job) {
    const auto submitted = slurm(job, {"/usr/bin/sbatch", "--parsable", "--gres=gpu:2",
                                       "--output=/dev/null", "--wrap", "sleep 120"});
    INFO(submitted.err);
    REQUIRE(submitted.exit_code == 0);
    id_ = submitted.out.substr(0, submitted.out.find_first_of(";\n"));
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto state = slurm(job, {"/usr/bin/squeue", "-h", "-j", id_, "-o", "%T"});
      if (state.out.starts_with("RUNNING")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    FAIL("the GPU-holding job " << id_ << " did not start");
  }
  ~HeldGpus() { (void)slurm(job_, {"/usr/bin/scancel", id_}); }
  HeldGpus(const HeldGpus&) = delete;
  HeldGpus& operator=(const HeldGpus&) = delete;

 private:
  const JobFixture& job_;
  std::string id_;
};

}  // namespace

TEST_CASE("srun --gres=gpu:2: the container sees exactly Slurm's two GPUs", "[engine][slurm]") {
  JobFixture job;
  const HeldGpus held(job);
  const auto all = job.write_spec(
      {{"gpus", "all"}, {"command", "echo gpus=$NVIDIA_VISIBLE_DEVICES job=$SLURM_JOB_ID"}});
  const auto ran = slurm(job, {"/usr/bin/srun", "--gres=gpu:2", DLRUN_BINARY, "train", all});
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  // Slurm's variables stay outside the container; its GPUs are the ones srun was given.
  CHECK(ran.out == "gpus=2,3 job=\n");

  const auto three = job.write_spec({{"gpus", 3}, {"command", "true"}}, "three.json");
  const auto refused = slurm(job, {"/usr/bin/srun", "--gres=gpu:2", DLRUN_BINARY, "train", three});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("the job asks for 3 GPUs, but Slurm job ") != std::string::npos);
  CHECK(refused.err.find(" was given 2 GPUs on this node (SLURM_STEP_GPUS=2,3)") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a job's container records its Slurm job and step", "[engine][slurm]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", "sleep 60"}});
  const auto started =
      slurm(job, {"/usr/bin/srun", DLRUN_BINARY, "train", "--detach", "--quiet", spec});
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const auto labels =
      run_process({.args = {"/usr/bin/docker", "-H", job.engine().gpu_host(), "inspect", "--format",
                            "{{index .Config.Labels \"dlrun.slurm-job\"}} "
                            "{{index .Config.Labels \"dlrun.slurm-step\"}}",
                            id}});
  CHECK(labels.exit_code == 0);
  CHECK(std::regex_match(labels.out, std::regex("[0-9]+ 0\n")));
  CHECK(job.dlrun({"stop", "--time", "0", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("scancel mid-job stops and removes the container", "[engine][slurm]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", "echo started; sleep 120"}});
  const std::string script = (job.dir() / "job.sh").string();
  std::ofstream(script) << "#!/bin/sh\nexec srun " << DLRUN_BINARY << " train " << spec << "\n";
  const auto submitted = slurm(
      job, {"/usr/bin/sbatch", "--parsable", "--output", (job.dir() / "out.txt").string(), script});
  INFO(submitted.err);
  REQUIRE(submitted.exit_code == 0);
  const std::string id = submitted.out.substr(0, submitted.out.find_first_of(";\n"));
  // Once the job runs in its container, Slurm cancels it.
  bool started = false;
  for (int attempt = 0; attempt < 150 && !started; ++attempt) {
    std::ifstream out(job.dir() / "out.txt");
    std::string text((std::istreambuf_iterator<char>(out)), {});
    started = text.find("started") != std::string::npos;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(started);
  CHECK(slurm(job, {"/usr/bin/scancel", id}).exit_code == 0);
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 100; ++attempt) {
    left = job.leftover_containers();
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(left.empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("two nodes wired by flags: every variable in both containers, on the host network",
          "[engine][distributed]") {
  JobFixture job;
  const auto spec =
      job.write_spec({{"name", "ddp"},
                      {"distributed", {{"nodes", 2}, {"gpus_per_node", 2}}},
                      {"command",
                       "echo $MASTER_ADDR $MASTER_PORT $NNODES $NODE_RANK $NPROC_PER_NODE $RDZV_ID "
                       "gpus=$NVIDIA_VISIBLE_DEVICES net=$(cat /proc/net/dev | grep -c docker0)"}});
  for (const int rank : {0, 1}) {
    const auto ran = job.dlrun({"train", spec, "--node-rank", std::to_string(rank), "--master-addr",
                                "10.1.2.3", "--master-port", "29600"});
    INFO(ran.err);
    CHECK(ran.exit_code == 0);
    // The host's (the engine's namespace's) network: its docker0 bridge is in sight.
    CHECK(ran.out == "10.1.2.3 29600 2 " + std::to_string(rank) + " 2 dlrun-ddp gpus=0,1 net=1\n");
  }
  const auto lost = job.dlrun({"train", spec});
  CHECK(lost.exit_code == 2);
  CHECK(lost.err.find("which of the job's nodes this is is unknown") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
