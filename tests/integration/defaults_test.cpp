// A spec with no tuning on the harness engines, whose daemons (like rootless or restricted
// ones) may not raise the locked-memory limit: dlrun's defaults give way, a user's do not.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

// A cache of its own, so that what this test learns is its alone.
Invocation fresh_cache(const JobFixture& job, const std::string& name = "cache") {
  Invocation invocation;
  invocation.env["XDG_CACHE_HOME"] = (job.dir() / name).string();
  return invocation;
}

constexpr std::string_view kCreate = "dlrun: debug: created container ";  // once per create

}  // namespace

TEST_CASE("a spec without tuning runs where the daemon refuses unlimited memlock, with one warning",
          "[engine][defaults]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", {"sh", "-c", "ulimit -l"}}});
  const auto first = job.dlrun({"train", "--log-level", "debug", spec}, fresh_cache(job));
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out != "unlimited\n");  // the daemon's own limit
  CHECK_FALSE(first.out.empty());
  CHECK(occurrences(first.err, "dlrun: warning: ") == 1);
  CHECK(first.err.find("may not grant unlimited locked memory (memlock), so the job runs with "
                       "the daemon's own limit: NCCL over InfiniBand/RDMA") != std::string::npos);
  CHECK(first.err.find("LimitMEMLOCK=infinity") != std::string::npos);
  CHECK(occurrences(first.err, kCreate) == 2);  // one refused, one that ran
  CHECK(job.leftover_containers().empty());

  // Learned: the next run asks for the daemon's own value at once.
  const auto second = job.dlrun({"train", "--log-level", "debug", spec}, fresh_cache(job));
  INFO(second.err);
  CHECK(second.exit_code == 0);
  CHECK(occurrences(second.err, kCreate) == 1);
  // Warned when found out; now a reminder only for those who ask (debug).
  CHECK(occurrences(second.err, "dlrun: warning: ") == 0);
  CHECK(second.err.find("dlrun: debug: the Docker daemon at ") != std::string::npos);
  CHECK(second.err.find("(memlock; found out on ") != std::string::npos);
  const auto third = job.dlrun({"train", spec}, fresh_cache(job));
  CHECK(third.exit_code == 0);
  CHECK(third.err.find("memlock") == std::string::npos);

  // And a dry run shows what would be asked for.
  const auto dry = job.dlrun({"train", "--dry-run", spec}, fresh_cache(job));
  CHECK(dry.out.find("--ulimit memlock") == std::string::npos);
  CHECK(dry.out.find("--ulimit stack=67108864") != std::string::npos);
  // Its Dockerfile too, for a spec with a build, planned once: one reminder.
  const auto dry_build = job.dlrun(
      {"train", "--dry-run", "--log-level", "debug",
       job.write_spec({{"command", "true"}, {"build", {{"run", {"true"}}}}}, "built.json")},
      fresh_cache(job));
  INFO(dry_build.err);
  CHECK(dry_build.exit_code == 0);
  CHECK(dry_build.out.find("\nRUN true\n") != std::string::npos);
  CHECK(occurrences(dry_build.err, "(memlock; found out on ") == 1);
}

TEST_CASE("a spec without tuning runs on Podman, with one line about each default it gave way on",
          "[engine][defaults]") {
  JobFixture job;
  const auto spec = job.write_spec({{"command", {"sh", "-c", "ulimit -l; cat /proc/1/comm"}}});
  const auto first = job.dlrun({"train", spec}, fresh_cache(job), job.engine().podman_host());
  INFO(first.err);
  CHECK(first.exit_code == 0);
  // Its own limits (8 MiB locked), and its init (catatonit, as /run/podman-init).
  CHECK(first.out == "8192\npodman-init\n");
  // Restricted, it may not raise the open-file and process limits it adds to any container that
  // asks for a limit: dlrun asks for none, and says so once.
  CHECK(occurrences(first.err, "dlrun: warning: ") == 1);
  CHECK(first.err.find("dlrun: warning: Podman 4.3.1 at " + job.engine().podman_host() +
                       " may not grant unlimited locked memory and a 64 MB stack (ulimits)") !=
        std::string::npos);
  CHECK(first.err.find("in podman.service") != std::string::npos);
  // Its logs are kept by the driver it has.
  CHECK(first.err.find("has no \"local\" log driver: jobs' output is kept by its k8s-file "
                       "driver") != std::string::npos);
  CHECK(job.leftover_containers().empty());

  // Learned once: the second run has none of that.
  const auto second = job.dlrun({"train", spec}, fresh_cache(job), job.engine().podman_host());
  INFO(second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
  CHECK(second.err.find("Podman") == std::string::npos);
  CHECK(occurrences(second.err, "dlrun: warning: ") == 0);
}

TEST_CASE("a memlock the spec asks for is refused with the fix, never lowered",
          "[engine][defaults]") {
  JobFixture job;
  const auto result = job.dlrun(
      {"train", job.write_spec({{"command", {"true"}}, {"resources", {{"memlock", "unlimited"}}}})},
      fresh_cache(job));
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: the Docker daemon may not raise the container's "
                        "locked-memory limit (memlock), which needs CAP_SYS_RESOURCE") !=
        std::string::npos);
  CHECK(result.err.find("hint: set \"resources\": {\"memlock\": \"8m\"} in the spec (at most "
                        "`ulimit -Hl` of the daemon), or run dockerd with LimitMEMLOCK=infinity") !=
        std::string::npos);
  CHECK(result.err.find("dlrun: warning:") == std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("doctor probes the training defaults, warns with the fix, and teaches train",
          "[engine][defaults][doctor]") {
  JobFixture job;
  const auto doctor = job.dlrun({"doctor", "--output", "json"}, fresh_cache(job));
  INFO(doctor.err);
  const auto report = nlohmann::json::parse(doctor.out);
  nlohmann::json defaults;
  for (const auto& check : report["checks"]) {
    if (check["name"] == "training defaults") defaults = check;
  }
  REQUIRE_FALSE(defaults.is_null());
  CHECK(defaults["status"] == "warn");
  CHECK(defaults["detail"].get<std::string>().find("unlimited locked memory (memlock)") !=
        std::string::npos);
  CHECK(defaults["detail"].get<std::string>().find("LimitMEMLOCK=infinity") != std::string::npos);
  CHECK(job.leftover_containers().empty());

  const auto trained = job.dlrun(
      {"train", "--log-level", "debug", job.write_spec({{"command", {"true"}}})}, fresh_cache(job));
  CHECK(trained.exit_code == 0);
  CHECK(occurrences(trained.err, kCreate) == 1);
}

}  // namespace dlrun::testing
