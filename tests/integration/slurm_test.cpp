// dlrun inside a Slurm allocation, on a real (one-node) Slurm with fake GPUs: the container gets
// Slurm's GPUs, not the node's, and records which Slurm job it belongs to.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

using namespace std::chrono_literals;

ProcessResult slurm(const JobFixture& job, std::vector<std::string> args,
                    std::chrono::seconds limit = std::chrono::seconds(120),
                    const std::string& host = "") {
  Invocation as{.args = std::move(args)};
  as.env["SLURM_CONF"] = job.engine().slurm_conf().string();
  as.env["DOCKER_HOST"] = host.empty() ? job.engine().gpu_host() : host;
  as.env["XDG_CACHE_HOME"] = (job.engine().dir / "cache").string();
  // dlrun submit's records and the jobs' output: this test's own.
  as.env["XDG_STATE_HOME"] = (job.dir() / "state").string();
  as.limit = limit;
  return run_process(as);
}

std::string slurm_job_state(const JobFixture& job, const std::string& id) {
  const auto shown = slurm(job, {"/usr/bin/scontrol", "--oneliner", "show", "job", id});
  const auto at = shown.out.find("JobState=");
  return at == std::string::npos ? "" : shown.out.substr(at + 9, shown.out.find(' ', at) - at - 9);
}

// The first line of `dlrun submit`'s output: the Slurm job id.
std::string submitted_id(const ProcessResult& submitted) {
  INFO(submitted.err);
  REQUIRE(submitted.exit_code == 0);
  REQUIRE(std::regex_match(submitted.out, std::regex("[0-9]+\n")));
  return submitted.out.substr(0, submitted.out.find('\n'));
}

// Waits until `file` holds `text` (a job's output says it started).
bool wait_for_text(const std::filesystem::path& file, const std::string& text) {
  for (int attempt = 0; attempt < 300; ++attempt) {
    std::ifstream in(file);
    const std::string held((std::istreambuf_iterator<char>(in)), {});
    if (held.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::vector<std::string> leftovers_after_a_while(const JobFixture& job) {
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 100; ++attempt) {
    left = job.leftover_containers();
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return left;
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

// Docker 20.10 (hook) and Podman 4.3: jobs without GPUs inside an allocation are the same on
// both (Podman 4.3 takes no GPU request through its Docker API).
std::string slurm_engine(const JobFixture& job) {
  const std::string name = GENERATE(as<std::string>{}, "docker", "podman");
  return name == "docker" ? job.engine().gpu_host() : job.engine().podman_host();
}

TEST_CASE("a job's container records its Slurm job and step", "[engine][slurm]") {
  JobFixture job;
  const std::string host = slurm_engine(job);
  INFO(host);
  const auto spec = job.write_spec({{"command", "sleep 60"}});
  const auto started =
      slurm(job, {"/usr/bin/srun", DLRUN_BINARY, "train", "--detach", "--quiet", spec}, 120s, host);
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const auto labels = run_process({.args = {"/usr/bin/docker", "-H", host, "inspect", "--format",
                                            "{{index .Config.Labels \"dlrun.slurm-job\"}} "
                                            "{{index .Config.Labels \"dlrun.slurm-step\"}}",
                                            id}});
  CHECK(labels.exit_code == 0);
  CHECK(std::regex_match(labels.out, std::regex("[0-9]+ 0\n")));
  CHECK(job.dlrun({"stop", "--time", "0", id}, {}, host).exit_code == 0);
  CHECK(job.dlrun({"rm", id}, {}, host).exit_code == 0);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("scancel mid-job stops and removes the container", "[engine][slurm]") {
  JobFixture job;
  const std::string host = slurm_engine(job);
  INFO(host);
  const auto spec = job.write_spec({{"command", "echo started; sleep 120"}});
  const std::string script = (job.dir() / "job.sh").string();
  std::ofstream(script) << "#!/bin/sh\nexec srun " << DLRUN_BINARY << " train " << spec << "\n";
  const auto submitted = slurm(
      job, {"/usr/bin/sbatch", "--parsable", "--output", (job.dir() / "out.txt").string(), script},
      120s, host);
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

namespace dlrun::testing {

TEST_CASE(
    "dlrun submit: a job id, then wait gives the job's exit code, logs its output, ps its state",
    "[engine][slurm][submit]") {
  JobFixture job;
  const auto ok = job.write_spec({{"command", "echo hello from slurm"}}, "ok.json");
  const auto failing =
      job.write_spec({{"name", "answer"}, {"command", "echo failing; exit 42"}}, "failing.json");
  const std::string ok_id = submitted_id(slurm(job, {DLRUN_BINARY, "submit", ok}));
  const std::string failing_id = submitted_id(slurm(job, {DLRUN_BINARY, "submit", failing}));
  CHECK(ok_id != failing_id);

  // Both are dlrun's: ps lists them while Slurm has them.
  const auto listed = slurm(job, {DLRUN_BINARY, "ps", "--output", "json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  const auto jobs = nlohmann::json::parse(listed.out);
  std::set<std::string> slurm_ids;
  for (const auto& entry : jobs) {
    // Jobs on the engine (other tests' too) have no "slurm" object.
    if (entry.contains("slurm")) slurm_ids.insert(entry["slurm"]["job_id"].get<std::string>());
  }
  CHECK(slurm_ids.contains(failing_id));

  const auto waited = slurm(job, {DLRUN_BINARY, "wait", ok_id});
  INFO(waited.err);
  CHECK(waited.exit_code == 0);
  const auto failed = slurm(job, {DLRUN_BINARY, "wait", "--output", "json", failing_id});
  CHECK(failed.exit_code == 42);
  const auto result = nlohmann::json::parse(failed.out);
  CHECK(result[0]["exit_code"] == 42);
  CHECK(result[0]["reason"] == "failed");
  CHECK(result[0]["name"] == "answer");

  const auto logs = slurm(job, {DLRUN_BINARY, "logs", ok_id});
  CHECK(logs.exit_code == 0);
  CHECK(logs.out.find("hello from slurm\n") != std::string::npos);
  const auto last = slurm(job, {DLRUN_BINARY, "logs", "--tail", "1", failing_id});
  CHECK(last.out.find("failing") == std::string::npos);  // earlier than the last line

  const auto all = slurm(job, {DLRUN_BINARY, "ps", "-a"});
  CHECK(std::regex_search(all.out, std::regex(failing_id + " +answer +failed ")));
  CHECK(slurm(job, {DLRUN_BINARY, "rm", ok_id, failing_id}).exit_code == 0);
  CHECK(slurm(job, {DLRUN_BINARY, "ps", "-a", "--output", "json"}).out.find("\"slurm\"") ==
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("dlrun submit --dry-run prints the batch script and submits nothing",
          "[engine][slurm][submit]") {
  JobFixture job;
  const auto spec = job.write_spec({{"name", "dry"}, {"gpus", 2}, {"command", "true"}});
  const auto shown = slurm(
      job, {DLRUN_BINARY, "submit", "--dry-run", "--time", "1h30m", "--partition", "debug", spec});
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("#SBATCH --job-name=dry\n") != std::string::npos);
  CHECK(shown.out.find("#SBATCH --gres=gpu:2\n") != std::string::npos);
  CHECK(shown.out.find("#SBATCH --time=0-01:30:00\n") != std::string::npos);
  CHECK(shown.out.find("#SBATCH --partition=debug\n") != std::string::npos);
  CHECK(shown.out.find("srun --kill-on-bad-exit=1 " + std::string(DLRUN_BINARY) + " train " + spec +
                       "\n") != std::string::npos);
  CHECK(!std::filesystem::exists(job.dir() / "state" / "dlrun" / "slurm"));
  // Nothing of this user's reached Slurm.
  CHECK(slurm(job, {"/usr/bin/squeue", "-h", "-n", "dry"}).out.empty());

  const auto refused = slurm(job, {DLRUN_BINARY, "submit", "--time", "soon", spec});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--time soon is not a time limit") != std::string::npos);
}

TEST_CASE("dlrun stop of a submitted job: scancel, no container, reported as cancelled",
          "[engine][slurm][submit]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", "echo started; sleep 120"}});
  const std::string id = submitted_id(slurm(job, {DLRUN_BINARY, "submit", spec}));
  REQUIRE(wait_for_text(job.dir() / "state" / "dlrun" / "slurm" / (id + ".out"), "started"));
  const auto stopped = slurm(job, {DLRUN_BINARY, "stop", id});
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.out == "cancelled " + id + " (job)\n");
  const auto waited = slurm(job, {DLRUN_BINARY, "wait", "--output", "json", id});
  CHECK(waited.exit_code == 143);
  CHECK(nlohmann::json::parse(waited.out)[0]["reason"] == "cancelled");
  CHECK(leftovers_after_a_while(job).empty());
}

TEST_CASE("a one-minute time limit stops the job, leaves no container, and says so",
          "[engine][slurm][submit][slow]") {
  JobFixture job;
  // A job that ignores SIGTERM: only the stop's SIGKILL ends it, and dlrun must remove its
  // container before Slurm's own SIGKILL of dlrun comes, KillWait (5 s here) after its SIGTERM.
  const auto spec =
      job.write_spec({{"command", "trap '' TERM; echo started; while true; do sleep 1; done"}});
  const std::string id = submitted_id(slurm(job, {DLRUN_BINARY, "submit", "--time", "1", spec}));
  const auto waited = slurm(job, {DLRUN_BINARY, "wait", id}, std::chrono::seconds(240));
  CHECK(waited.exit_code == 124);
  CHECK(waited.err.find("reached its time limit") != std::string::npos);
  CHECK(slurm_job_state(job, id) == "TIMEOUT");
  CHECK(job.leftover_containers().empty());
  const auto logs = slurm(job, {DLRUN_BINARY, "logs", id});
  CHECK(logs.out.find("started") != std::string::npos);
}

TEST_CASE("a killed dlrun's container is removed once its Slurm job is over",
          "[engine][slurm][submit]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", "echo started; sleep 300"}});
  const std::string script = (job.dir() / "killed.sh").string();
  // dlrun killed outright inside the job: its container runs on, nobody watching.
  std::ofstream(script) << "#!/bin/sh\n"
                        << DLRUN_BINARY << " train " << spec << " &\n"
                        << "pid=$!\n"
                        << "while ! grep -q started " << (job.dir() / "out.txt").string()
                        << "; do sleep 0.2; done\n"
                        << "kill -KILL $pid\necho killed\nsleep 300\n";
  const auto submitted = slurm(
      job, {"/usr/bin/sbatch", "--parsable", "--output", (job.dir() / "out.txt").string(), script});
  INFO(submitted.err);
  REQUIRE(submitted.exit_code == 0);
  const std::string id = submitted.out.substr(0, submitted.out.find_first_of(";\n"));
  REQUIRE(wait_for_text(job.dir() / "out.txt", "killed"));

  // While its Slurm job runs, the container is left (it may be wanted); the epilog's form
  // would take it.
  const auto early = slurm(job, {DLRUN_BINARY, "clean", "--output", "json"});
  CHECK(early.out.find("\"left_running\"") != std::string::npos);
  const auto epilog =
      slurm(job, {DLRUN_BINARY, "clean", "--slurm-job", id, "--dry-run", "--output", "json"});
  CHECK(epilog.out.find("\"would_remove\"") != std::string::npos);
  CHECK(job.leftover_containers().size() == 1);

  CHECK(slurm(job, {"/usr/bin/scancel", id}).exit_code == 0);
  for (int attempt = 0; attempt < 100 && slurm_job_state(job, id) != "CANCELLED"; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Slurm's job is over: the GPUs are Slurm's again, and the container goes without --running.
  const auto cleaned = slurm(job, {DLRUN_BINARY, "clean", "--output", "json"});
  INFO(cleaned.out << cleaned.err);
  CHECK(cleaned.exit_code == 0);
  CHECK(cleaned.out.find("\"removed\"") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
