// Retries and resume (docs/retries.md): each attempt a fresh container, the policy's endings
// only, Ctrl-C between attempts, and the checkpoint the next attempt resumes from.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>

#include "engine_fixture.hpp"

namespace dlrun::testing {

using nlohmann::json;

TEST_CASE("a job failing twice then succeeding ends 0 after 3 attempts", "[engine][retry]") {
  JobFixture job;
  // Its third attempt lists itself with `dlrun ps` while it runs.
  auto listed = std::make_shared<std::string>();
  Invocation list_when_started;
  // (With --output json the job's own output is on stderr.)
  list_when_started.on_output = [&job, listed](pid_t, const std::string&, const std::string& err) {
    if (listed->empty() && err.find("started") != std::string::npos) {
      *listed = job.dlrun({"ps", "--output", "json"}).out;
    }
  };
  const auto result = job.dlrun(
      {"train", "--output", "json",
       job.write_spec({{"command",
                        "echo attempt $DLRUN_ATTEMPT; test $DLRUN_ATTEMPT -ge 3 || exit 3; "
                        "echo started; sleep 3"},
                       {"retry", {{"attempts", 3}, {"exit_codes", {3}}}}})},
      list_when_started);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("attempt 1 of 3 ended with exit code 3: attempt 2 in 10s") !=
        std::string::npos);
  CHECK(result.err.find("attempt 2 of 3 ended with exit code 3: attempt 3 in 20s") !=
        std::string::npos);
  const auto out = json::parse(result.out);
  CHECK(out["exit_code"] == 0);
  CHECK(out["reason"] == "succeeded");
  REQUIRE(out["attempts"].size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const json& attempt = out["attempts"][i];
    CHECK(attempt["attempt"] == static_cast<int>(i) + 1);
    CHECK(attempt["exit_code"] == (i < 2 ? 3 : 0));
    CHECK(attempt["retried_for"] == (i < 2 ? json("exit code 3") : json(nullptr)));
  }
  // A fresh container each time, each named apart.
  CHECK(out["attempts"][0]["container"] != out["attempts"][1]["container"]);
  CHECK(out["attempts"][2]["container"].get<std::string>().ends_with("-a3"));

  // ps showed the third attempt as such.
  INFO("ps: " << *listed);
  const auto jobs = json::parse(*listed);
  const auto third = std::find_if(jobs.begin(), jobs.end(), [&](const json& j) {
    return j["container"] == out["attempts"][2]["container"];
  });
  REQUIRE(third != jobs.end());
  CHECK((*third)["attempt"] == 3);
  CHECK((*third)["attempts"] == 3);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("an exit code the policy does not name is not retried", "[engine][retry]") {
  JobFixture job;
  const auto result = job.dlrun(
      {"train", "--output", "json",
       job.write_spec({{"command", "exit 4"}, {"retry", {{"attempts", 3}, {"exit_codes", {3}}}}})});
  INFO(result.err);
  CHECK(result.exit_code == 4);
  CHECK(result.err.find("attempt 2") == std::string::npos);
  const auto out = json::parse(result.out);
  REQUIRE(out["attempts"].size() == 1);
  CHECK(out["attempts"][0]["retried_for"].is_null());
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("Ctrl-C during the delay between attempts stops the retries and leaves nothing",
          "[engine][retry][signals]") {
  JobFixture job;
  Invocation interrupt_in_delay;
  interrupt_in_delay.limit = std::chrono::seconds(60);
  interrupt_in_delay.on_output = [sent = std::make_shared<bool>(false)](
                                     pid_t pid, const std::string&, const std::string& err) {
    if (!*sent && err.find("attempt 2 in") != std::string::npos) {
      kill(pid, SIGINT);
      *sent = true;
    }
  };
  const auto result = job.dlrun(
      {"train", "--output", "json",
       job.write_spec({{"command", "exit 3"}, {"retry", {{"attempts", 3}, {"exit_codes", {3}}}}})},
      interrupt_in_delay);
  INFO(result.err);
  CHECK(result.exit_code == 130);
  CHECK(result.err.find("interrupted (SIGINT): no more attempts") != std::string::npos);
  CHECK(result.elapsed < std::chrono::seconds(10));  // not the delay's 10 s, nor another attempt
  const auto out = json::parse(result.out);
  CHECK(out["reason"] == "stopped");
  REQUIRE(out["attempts"].size() == 1);
  CHECK(out["attempts"][0]["exit_code"] == 3);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a GPU failure is retried by default, resuming from the newest checkpoint",
          "[engine][retry][gpu]") {
  JobFixture job;
  const auto outputs = job.dir() / "outputs";
  // The first attempt writes two checkpoints (the newer one sorts first by name), then loses
  // its GPUs; the second says where it resumes from.
  const auto result = job.dlrun(
      {"train", "--output", "json",
       job.write_spec({{"outputs", outputs.string()},
                       {"checkpoint", "ckpt-*.pt"},
                       {"command",
                        "echo \"attempt $DLRUN_ATTEMPT resumes from '$DLRUN_RESUME_FROM'\"; "
                        "test $DLRUN_ATTEMPT = 1 || exit 0; "
                        "touch /outputs/ckpt-9.pt; sleep 1; touch /outputs/ckpt-10.pt; "
                        "echo 'Failed to initialize NVML: Unknown Error'; exit 255"},
                       {"retry", {{"attempts", 2}}}})});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  // The job's own words (on stderr, as stdout carries the JSON).
  CHECK(result.err.find("attempt 1 resumes from ''") != std::string::npos);
  CHECK(result.err.find("attempt 2 resumes from '/outputs/ckpt-10.pt'") != std::string::npos);
  CHECK(result.err.find("a GPU failure: the container lost its GPUs") != std::string::npos);
  CHECK(result.err.find("attempt 1 of 2 ended with a GPU failure (nvml-lost): attempt 2 in 10s") !=
        std::string::npos);
  const auto out = json::parse(result.out);
  REQUIRE(out["attempts"].size() == 2);
  CHECK(out["attempts"][0]["gpu_failure"]["id"] == "nvml-lost");
  CHECK(out["attempts"][0]["resume_from"].is_null());
  CHECK(out["attempts"][1]["resume_from"] == "/outputs/ckpt-10.pt");
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
