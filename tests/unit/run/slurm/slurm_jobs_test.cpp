// What Slurm says of a submitted job, as dlrun reads it and reports it.
#include "dlrun/run/slurm/slurm_jobs.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace dlrun::run {

TEST_CASE("scontrol's one-line job: Key=Value words, values with spaces kept whole",
          "[run][slurm]") {
  const auto words = parse_scontrol_job(
      "JobId=4242 JobName=resnet UserId=me(1000) JobState=TIMEOUT Reason=TimeLimit "
      "ExitCode=0:15 RunTime=00:01:04 TimeLimit=00:01:00 Partition=gpu NodeList=gpu[01-02] "
      "Command=/home/me/job.sh --fast StdOut=/home/me/.local/state/dlrun/slurm/4242.out");
  CHECK(words.at("JobId") == "4242");
  CHECK(words.at("Command") == "/home/me/job.sh --fast");
  const auto status = status_from_scontrol(words);
  CHECK(status.state == "TIMEOUT");
  CHECK(status.reason == "TimeLimit");
  CHECK(status.exit_code == 128 + 15);
  CHECK(status.nodelist == "gpu[01-02]");
  CHECK(status.output == "/home/me/.local/state/dlrun/slurm/4242.out");
  CHECK(slurm_job_finished(status.state));
  CHECK_FALSE(slurm_job_finished("COMPLETING"));
  CHECK_FALSE(slurm_job_finished("PENDING"));
}

TEST_CASE("a finished Slurm job's exit code and reason", "[run][slurm]") {
  const auto outcome = [](std::string state, std::optional<int> code) {
    return slurm_outcome({.state = std::move(state), .exit_code = code});
  };
  CHECK(outcome("COMPLETED", 0).exit_code == 0);
  CHECK(outcome("COMPLETED", 0).reason == "succeeded");
  CHECK(outcome("FAILED", 42).exit_code == 42);
  CHECK(outcome("FAILED", 42).reason == "failed");
  CHECK(outcome("TIMEOUT", 143).exit_code == 124);
  CHECK(outcome("TIMEOUT", 143).reason == "time_limit");
  CHECK(outcome("CANCELLED", 0).exit_code == 143);
  CHECK(outcome("CANCELLED", 0).reason == "cancelled");
  CHECK(outcome("OUT_OF_MEMORY", 0).exit_code == 137);
  CHECK(outcome("NODE_FAIL", 0).exit_code == 125);
  CHECK(outcome("NODE_FAIL", 0).reason == "node_fail");
  CHECK(outcome("UNKNOWN", std::nullopt).reason == "unknown");
  CHECK(slurm_state_name({.state = "PENDING", .reason = "Priority"}) == "pending");
  CHECK(slurm_state_name({.state = "FAILED", .exit_code = 42}) == "failed");
}

TEST_CASE("submitted jobs are remembered by id, newest first, and forgotten whole",
          "[run][slurm]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlrun-submitted-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  REQUIRE(remember_submitted(
      dir, {.id = "7", .name = "old", .output = dir / "7.out", .submitted = 100}));
  REQUIRE(remember_submitted(
      dir, {.id = "12", .name = "new", .output = dir / "12.out", .submitted = 200, .nodes = 2}));
  std::ofstream(dir / "12.out") << "output\n";
  std::ofstream(dir / "junk.json") << "{not json";
  const auto jobs = submitted_jobs(dir);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].id == "12");
  CHECK(jobs[0].nodes == 2);
  CHECK(jobs[1].name == "old");
  CHECK(find_submitted(dir, "12")->name == "new");
  // Only a Slurm job id names a record: a container id prefix never reads a file.
  CHECK_FALSE(find_submitted(dir, "../12"));
  CHECK_FALSE(find_submitted(dir, "3f2a"));
  CHECK_FALSE(find_submitted(dir, "13"));
  forget_submitted(dir, jobs[0]);
  CHECK_FALSE(std::filesystem::exists(dir / "12.out"));
  CHECK(submitted_jobs(dir).size() == 1);
  std::filesystem::remove_all(dir);
}

}  // namespace dlrun::run
