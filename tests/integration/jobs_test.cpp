// Jobs that outlive the dlrun that started them: train --detach, then ps, logs, wait, stop, rm,
// each in a dlrun of its own.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

std::string seq(long last) {
  std::string text;
  for (long i = 1; i <= last; ++i) text += std::to_string(i) + "\n";
  return text;
}

// Starts a job detached and returns its id.
std::string detach(const JobFixture& job, const nlohmann::json& fields,
                   const std::string& file = "job.json") {
  const auto started = job.dlrun({"train", "-d", job.write_spec(fields, file)});
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  REQUIRE(started.out.size() == 65);  // a 64-digit id and a newline
  return started.out.substr(0, 64);
}

}  // namespace

TEST_CASE("a detached job keeps running; its output and exit code are there later",
          "[engine][jobs]") {
  JobFixture job;
  // More than a megabyte, on both streams, after the dlrun that started it is gone.
  const std::string id =
      detach(job, {{"command", "seq 1 300000; echo to-stderr >&2; sleep 1; exit 42"}});

  const auto listed = job.dlrun({"ps", "--output", "json"});
  REQUIRE(listed.exit_code == 0);
  const auto jobs = nlohmann::json::parse(listed.out);
  CHECK(std::any_of(jobs.begin(), jobs.end(), [&](const auto& j) { return j["id"] == id; }));

  const auto waited = job.dlrun({"wait", id.substr(0, 8)});
  CHECK(waited.exit_code == 42);

  const auto logs = job.dlrun({"logs", id});
  CHECK(logs.exit_code == 0);
  CHECK(logs.out == seq(300000));
  CHECK(logs.err == "to-stderr\n");
  const auto tail = job.dlrun({"logs", "--tail", "2", id});
  CHECK(tail.out == "299999\n300000\n");

  // Finished, it stays until removed: ps -a shows it, plain ps does not.
  CHECK(job.dlrun({"ps"}).out.find(id.substr(0, 12)) == std::string::npos);
  CHECK(job.dlrun({"ps", "-a"}).out.find(id.substr(0, 12)) != std::string::npos);
  const auto removed = job.dlrun({"rm", id});
  CHECK(removed.exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("wait gives each job's exit code, and the train that started it is not needed",
          "[engine][jobs]") {
  JobFixture job;
  const std::string ok = detach(job, {{"command", {"true"}}}, "ok.json");
  const std::string failed = detach(job, {{"command", {"false"}}}, "failed.json");
  CHECK(job.dlrun({"wait", ok}).exit_code == 0);
  const auto result = job.dlrun({"wait", "--output", "json", failed});
  CHECK(result.exit_code == 1);
  CHECK(nlohmann::json::parse(result.out)[0]["exit_code"] == 1);
  CHECK(job.dlrun({"rm", "--finished"}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("stop ends a detached job, rm refuses a running one, and nothing is left",
          "[engine][jobs]") {
  JobFixture job;
  const std::string id = detach(job, {{"command", {"sleep", "300"}}});
  const auto refused = job.dlrun({"rm", id});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("is still running") != std::string::npos);
  CHECK(refused.err.find("hint: stop it first: dlrun stop ") != std::string::npos);

  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"wait", id}).exit_code == 143);  // SIGTERM, as train reports it
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a job named wrongly, ambiguously or someone else's is refused clearly",
          "[engine][jobs]") {
  JobFixture job;
  const auto unknown = job.dlrun({"logs", "no-such-job"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("dlrun: error: no dlrun job \"no-such-job\" on this engine") !=
        std::string::npos);

  const std::string first = detach(job, {{"name", "twin"}, {"command", {"sleep", "30"}}}, "a.json");
  const std::string second =
      detach(job, {{"name", "twin"}, {"command", {"sleep", "30"}}}, "b.json");
  const auto ambiguous = job.dlrun({"stop", "twin"});
  CHECK(ambiguous.exit_code == 2);
  CHECK(ambiguous.err.find("\"twin\" names more than one job: ") != std::string::npos);
  CHECK(ambiguous.err.find(first.substr(0, 12)) != std::string::npos);

  // Another user sees neither, and may not touch them.
  Invocation other;
  other.uid = 4343;
  other.env["HOME"] = "/nonexistent";
  const auto theirs = job.dlrun({"ps", "-a"}, other);
  CHECK(theirs.exit_code == 0);
  CHECK(theirs.out.find(first.substr(0, 12)) == std::string::npos);
  const auto touched = job.dlrun({"stop", first}, other);
  CHECK(touched.exit_code == 2);
  CHECK(touched.err.find("belongs to uid 0, not to you") != std::string::npos);

  CHECK(job.dlrun({"stop", "-t", "1", first, second}).exit_code == 0);
  CHECK(job.dlrun({"rm", first, second}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a detached job is not an orphan: the next train leaves it running", "[engine][jobs]") {
  JobFixture job;
  const std::string id = detach(job, {{"command", {"sleep", "30"}}}, "long.json");
  CHECK(job.dlrun({"train", job.write_spec({{"command", {"true"}}})}).exit_code == 0);
  const auto listed = job.dlrun({"ps"});
  CHECK(listed.out.find(id.substr(0, 12)) != std::string::npos);
  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

}  // namespace dlrun::testing
