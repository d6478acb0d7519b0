// Podman run by an ordinary user (rootless), and dlrun run by that user, as on a workstation or
// an HPC login node: `systemctl --user start podman.socket`, DOCKER_HOST at its socket.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

// A test on the rootless Podman, in a directory its user may write.
struct RootlessJob {
  JobFixture job{EngineUnderTest{"podman-rootless", TestEngine::find()->rootless_podman_host()}};
  RootlessJob() { std::filesystem::permissions(job.dir(), std::filesystem::perms::all); }

  // dlrun as the engine's user, with a cache of its own.
  Invocation as_owner(const std::string& cache = "cache") const {
    Invocation invocation;
    invocation.uid = kRootlessUser;
    invocation.env["HOME"] = job.dir().string();
    invocation.env["XDG_CACHE_HOME"] = (job.dir() / cache).string();
    return invocation;
  }
};

uid_t owner_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_uid;
}

}  // namespace

TEST_CASE(
    "rootless Podman: the job runs as its user, the outputs are theirs, what it lacks said once",
    "[engine][rootless]") {
  RootlessJob rootless;
  const JobFixture& job = rootless.job;
  const auto spec = job.write_spec(
      {{"outputs", "./results"},
       {"command", "id -u; echo model > /outputs/model.pt; cat /proc/1/comm; touch $HOME/ok"}});
  const auto first = job.dlrun({"train", spec}, rootless.as_owner());
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // The same uid inside as outside (--userns=keep-id): a subordinate id could not write there.
  CHECK(first.out == "4600\npodman-init\n");
  CHECK(owner_of(job.dir() / "results") == kRootlessUser);
  CHECK(owner_of(job.dir() / "results/model.pt") == kRootlessUser);
  // Its Docker API drops every limit a container asks for: said once, with the reason.
  CHECK(occurrences(first.err, "dlrun: warning: ") == 1);
  CHECK(first.err.find("dlrun: warning: Podman 4.3.1 at " + job.engine().rootless_podman_host() +
                       " runs rootless: the job runs without unlimited locked memory and a 64 MB "
                       "stack") != std::string::npos);
  CHECK(first.err.find("(podman#25881, fixed in Podman 5.5)") != std::string::npos);
  CHECK(job.leftover_containers().empty());

  const auto second = job.dlrun({"train", spec}, rootless.as_owner());
  INFO(second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
  CHECK(second.err.find("Podman") == std::string::npos);
  CHECK(occurrences(second.err, "dlrun: warning: ") == 0);

  // The plan says how: the user namespace, and no limits asked that would not arrive.
  const auto planned = job.dlrun({"train", "--dry-run", spec}, rootless.as_owner());
  CHECK(planned.out.find("\"UsernsMode\": \"keep-id\"") != std::string::npos);
  CHECK(planned.out.find("\"Ulimits\": []") != std::string::npos);
  CHECK(planned.out.find(" --user 4600:4600 --userns keep-id ") != std::string::npos);
}

TEST_CASE("rootless Podman: a detached job is listed, read, waited for and removed by its user",
          "[engine][rootless]") {
  RootlessJob rootless;
  const JobFixture& job = rootless.job;
  const auto started = job.dlrun(
      {"train", "-d", job.write_spec({{"command", "echo first; sleep 1; echo second; exit 3"}})},
      rootless.as_owner());
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  REQUIRE(id.size() == 64);
  CHECK(job.dlrun({"ps", "-a"}, rootless.as_owner()).out.find(id.substr(0, 12)) !=
        std::string::npos);
  const auto waited = job.dlrun({"wait", id}, rootless.as_owner());
  CHECK(waited.exit_code == 3);
  // Re-attached to a finished job: its output, its exit code.
  const auto attached = job.dlrun({"attach", id}, rootless.as_owner());
  CHECK(attached.exit_code == 3);
  CHECK(attached.out == "first\nsecond\n");
  const auto logs = job.dlrun({"logs", id}, rootless.as_owner());
  CHECK(logs.exit_code == 0);
  CHECK(logs.out == "first\nsecond\n");
  CHECK(job.dlrun({"rm", id}, rootless.as_owner()).exit_code == 0);

  // One stopped by its user: SIGTERM, then gone with rm.
  const auto sleeper =
      job.dlrun({"train", "-d", job.write_spec({{"command", "sleep 300"}}, "sleeper.json")},
                rootless.as_owner());
  REQUIRE(sleeper.exit_code == 0);
  const std::string sleeping = sleeper.out.substr(0, sleeper.out.find('\n'));
  CHECK(job.dlrun({"stop", sleeping}, rootless.as_owner()).exit_code == 0);
  CHECK(job.dlrun({"rm", sleeping}, rootless.as_owner()).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE(
    "rootless Podman: a build section builds, through its builder and, with a secret, by steps",
    "[engine][rootless][build]") {
  RootlessJob rootless;
  const JobFixture& job = rootless.job;
  // No package archive: the steps make a file, and the secret one says it saw its secret.
  const bool secret = GENERATE(false, true);
  INFO("secret: " << secret);
  nlohmann::json build = {{"run", {"echo built > /built-by-dlrun"}}};
  Invocation as = rootless.as_owner();
  if (secret) {
    build["env"] = {{"BUILD_TOKEN", {{"from_env", "BUILD_TOKEN"}}}};
    build["run"].push_back("test -n \"$BUILD_TOKEN\" && echo token seen >> /built-by-dlrun");
    as.env["BUILD_TOKEN"] = "t0ken-s3cret";
  }
  const std::string name = secret ? "rootless-secret" : "rootless-build";
  const auto spec =
      job.write_spec({{"name", name}, {"command", "cat /built-by-dlrun; id -u"}, {"build", build}});
  const auto first = job.dlrun({"train", spec}, as);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == (secret ? "built\ntoken seen\n4600\n" : "built\n4600\n"));
  // Built once: found the second time.
  const auto second = job.dlrun({"train", spec}, as);
  INFO(second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.err.find("build step") == std::string::npos);
  const auto images =
      run_process({.args = {"/usr/bin/docker", "-H", job.engine().rootless_podman_host(), "images",
                            "--format", "{{.ID}}", "dlrun/" + name}});
  REQUIRE_FALSE(images.out.empty());
  const auto image =
      run_process({.args = {"/usr/bin/docker", "-H", job.engine().rootless_podman_host(), "image",
                            "inspect", images.out.substr(0, images.out.find('\n'))}});
  CHECK(image.exit_code == 0);
  CHECK(image.out.find("t0ken-s3cret") == std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE(
    "rootless Podman: limits the spec asks for and would not get are refused before the start",
    "[engine][rootless]") {
  RootlessJob rootless;
  const JobFixture& job = rootless.job;
  const auto memlock = job.dlrun(
      {"train", job.write_spec({{"command", {"true"}}, {"resources", {{"memlock", "unlimited"}}}})},
      rootless.as_owner());
  CHECK(memlock.exit_code == 125);
  CHECK(memlock.err.find("dlrun: error: Podman 4.3.1 runs rootless, and its Docker API drops the "
                         "limits a container asks for (podman#25881, fixed in Podman 5.5): "
                         "resources.memlock would not reach the job") != std::string::npos);
  CHECK(memlock.err.find("hint: remove resources.memlock") != std::string::npos);

  // A memory limit: enforced where the engine has cgroup v2, refused where it would not be.
  const auto cgroup =
      run_process({.args = {"/usr/bin/docker", "-H", job.engine().rootless_podman_host(), "info",
                            "--format", "{{.CgroupVersion}}"}});
  REQUIRE(cgroup.exit_code == 0);
  const auto memory = job.dlrun(
      {"train", job.write_spec({{"command", "head -c 200000000 /dev/zero | tail > /dev/null"},
                                {"resources", {{"memory", "16m"}}}})},
      rootless.as_owner());
  INFO(memory.err);
  if (cgroup.out == "1\n") {
    CHECK(memory.exit_code == 125);
    CHECK(memory.err.find("dlrun: error: Podman 4.3.1 runs rootless on cgroup v1, where a "
                          "container gets no memory, CPU or process limit: resources.memory "
                          "would not be enforced") != std::string::npos);
  } else {
    CHECK(memory.exit_code == 137);
  }
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("doctor on rootless Podman: who the jobs run as, and the limits they go without",
          "[engine][rootless][doctor]") {
  RootlessJob rootless;
  const JobFixture& job = rootless.job;
  const auto result = job.dlrun({"doctor", "--output", "json"}, rootless.as_owner());
  INFO(result.err);
  const auto report = nlohmann::json::parse(result.out);
  std::map<std::string, nlohmann::json> checks;
  for (const auto& check : report["checks"]) checks[check["name"]] = check;
  CHECK(checks["engine"]["detail"].get<std::string>().starts_with("Podman 4.3.1 "));
  CHECK(checks["rootless"]["status"] == "warn");
  CHECK(checks["rootless"]["detail"] ==
        "Podman 4.3.1 runs rootless: jobs with \"user\": \"host\" run as you (--userns=keep-id)");
  // Probed as a job would be made: no limits asked (they would be dropped), so not "granted".
  CHECK(checks["training defaults"]["status"] == "warn");
  CHECK(checks["training defaults"]["detail"].get<std::string>().find(
            "runs rootless: the job runs without unlimited locked memory") != std::string::npos);
}

}  // namespace dlrun::testing
