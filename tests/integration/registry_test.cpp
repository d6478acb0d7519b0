// Pulls from a real registry (Debian's docker-registry with htpasswd auth) through the engine.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dlrun/base64.hpp"
#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

namespace fs = std::filesystem;

// A Docker config directory for this test; `config` is config.json's text.
std::string docker_config(const JobFixture& job, const std::string& config) {
  const fs::path dir = job.dir() / "docker-config";
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << config;
  return dir.string();
}

std::string auths_config(const JobFixture& job) {
  const std::string auth =
      base64_encode(job.engine().registry_user() + ":" + job.engine().registry_password(),
                    Base64Alphabet::standard);
  return R"({"auths": {")" + job.engine().registry() + R"(": {"auth": ")" + auth + R"("}}})";
}

// Tests share one engine, so a test that needs a pull forces it with --pull always.
bool has_control_characters(const std::string& text) {
  return text.find_first_of("\r\033") != std::string::npos;
}

}  // namespace

TEST_CASE("a pull with credentials from the Docker config, shown as plain lines", "[registry]") {
  JobFixture job;
  const std::string image = job.engine().registry() + "/dlrun-test/payload:1";
  Invocation with_config;
  with_config.env["DOCKER_CONFIG"] = docker_config(job, auths_config(job));
  const auto result = job.dlrun(
      {"train", "--pull", "always",
       job.write_spec({{"image", image}, {"command", "ls -l /weights.bin | awk '{print $5}'"}})},
      with_config);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "67108864\n");
  CHECK(result.err.find("dlrun: pulling " + image + "\n") != std::string::npos);
  // The registry answered with the credentials either way; whether layers came depends on what
  // other tests on the shared engine pulled before.
  CHECK((result.err.find("dlrun: pulled " + image + " (sha256:") != std::string::npos ||
         result.err.find("dlrun: " + image + " is up to date") != std::string::npos));
  CHECK_FALSE(has_control_characters(result.err));
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("without credentials the registry's refusal names it and says how to log in",
          "[registry]") {
  JobFixture job;
  const std::string image = job.engine().registry() + "/dlrun-test/busybox:1";
  Invocation no_config;
  no_config.env["DOCKER_CONFIG"] = docker_config(job, "{}");
  const auto result = job.dlrun(
      {"train", "--pull", "always", job.write_spec({{"image", image}, {"command", {"true"}}})},
      no_config);
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: the registry " + job.engine().registry() +
                        " refused to serve " + image + " without valid credentials") !=
        std::string::npos);
  CHECK(result.err.find("hint: log in with `docker login " + job.engine().registry() + "`") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("credentials through a credential helper on PATH", "[registry]") {
  JobFixture job;
  const std::string image = job.engine().registry() + "/dlrun-test/busybox:1";
  const fs::path bin = job.dir() / "bin";
  fs::create_directories(bin);
  {
    std::ofstream helper(bin / "docker-credential-dlrun-test");
    helper << "#!/bin/sh\n"
           << "read server\n"
           << "echo \"$server\" >> " << (job.dir() / "helper-asked").string() << "\n"
           << "printf '{\"ServerURL\":\"%s\",\"Username\":\"" << job.engine().registry_user()
           << "\",\"Secret\":\"" << job.engine().registry_password() << "\"}' \"$server\"\n";
  }
  fs::permissions(bin / "docker-credential-dlrun-test", fs::perms::owner_all);
  Invocation with_helper;
  with_helper.env["DOCKER_CONFIG"] = docker_config(
      job, R"({"credHelpers": {")" + job.engine().registry() + R"(": "dlrun-test"}})");
  with_helper.env["PATH"] = bin.string() + ":" + std::getenv("PATH");
  const auto result =
      job.dlrun({"train", "-q", "--pull", "always",
                 job.write_spec({{"image", image}, {"command", {"echo", "pulled"}}})},
                with_helper);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "pulled\n");
  const auto asked = [&] {
    std::ifstream file(job.dir() / "helper-asked");
    std::vector<std::string> servers;
    for (std::string server; std::getline(file, server);) servers.push_back(server);
    return servers;
  };
  CHECK(asked() == std::vector<std::string>{job.engine().registry()});

  // A job built on the pulled image: the build is given the pull's credentials, not asked again.
  const auto built = job.dlrun({"train", "-q", "--pull", "always",
                                job.write_spec({{"image", image},
                                                {"name", "helped"},
                                                {"build", {{"run", {"touch /built"}}}},
                                                {"command", {"ls", "/built"}}},
                                               "built.json")},
                               with_helper);
  INFO(built.err);
  CHECK(built.exit_code == 0);
  CHECK(built.out == "/built\n");
  CHECK(asked().size() == 2);
}

TEST_CASE("an unknown tag is reported as not found", "[registry]") {
  JobFixture job;
  Invocation with_config;
  with_config.env["DOCKER_CONFIG"] = docker_config(job, auths_config(job));
  const std::string image = job.engine().registry() + "/dlrun-test/busybox:no-such-tag";
  const auto result =
      job.dlrun({"train", job.write_spec({{"image", image}, {"command", {"true"}}})}, with_config);
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("dlrun: error: the image " + image + " was not found in " +
                        job.engine().registry()) != std::string::npos);
}

TEST_CASE("a registry mirror serves docker.io's images", "[registry]") {
  JobFixture job;
  Invocation with_config;
  with_config.env["DOCKER_CONFIG"] = docker_config(job, auths_config(job));
  const std::string mirror = "docker.io=" + job.engine().registry();
  // dlrun-test/busybox:1 is docker.io/dlrun-test/busybox:1, which only the mirror has.
  const std::string spec = job.write_spec({{"command", {"echo", "from the mirror"}}});

  const auto dry =
      job.dlrun({"train", "--dry-run", "--registry-mirror", mirror, spec}, with_config);
  CHECK(dry.out.starts_with(
      "image: " + job.engine().registry() +
      "/dlrun-test/busybox:1 (for dlrun-test/busybox:1, through the registry mirror)\n"));

  const auto result =
      job.dlrun({"train", "--pull", "always", "--registry-mirror", mirror, spec}, with_config);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "from the mirror\n");
  CHECK(result.err.find("dlrun: pulling " + job.engine().registry() + "/dlrun-test/busybox:1\n") !=
        std::string::npos);

  // The same through the spec and through the user's config file.
  const fs::path user_config = job.dir() / "dlrun.json";
  std::ofstream(user_config) << R"({"registry_mirror": {"docker.io": ")" + job.engine().registry() +
                                    R"("}})";
  with_config.env["DLRUN_CONFIG"] = user_config.string();
  const auto configured = job.dlrun({"train", "-q", "--pull", "always", spec}, with_config);
  CHECK(configured.exit_code == 0);
  CHECK(configured.out == "from the mirror\n");
}

TEST_CASE("pull policy never with the image absent says so", "[registry]") {
  JobFixture job;
  const auto result =
      job.dlrun({"train", "--pull", "never",
                 job.write_spec({{"image", job.engine().registry() + "/dlrun-test/absent:1"}})});
  CHECK(result.exit_code == 125);
  CHECK(result.err.find(
            "dlrun: error: the image " + job.engine().registry() +
            "/dlrun-test/absent:1 is not on the Docker engine, and the pull policy is \"never\"") !=
        std::string::npos);
}

TEST_CASE("registry_auth in the spec names host variables", "[registry]") {
  JobFixture job;
  const std::string image = job.engine().registry() + "/dlrun-test/busybox:1";
  Invocation with_env;
  with_env.env["DOCKER_CONFIG"] = docker_config(job, "{}");
  with_env.env["TEST_REGISTRY_TOKEN"] = job.engine().registry_password();
  const std::string spec = job.write_spec(
      {{"image", image},
       {"command", {"echo", "ok"}},
       {"registry_auth",
        {{"username", job.engine().registry_user()}, {"password_env", "TEST_REGISTRY_TOKEN"}}}});
  const auto dry = job.dlrun({"train", "--dry-run", spec}, with_env);
  CHECK(dry.out.find("registry auth: user dlrun-test, password from $TEST_REGISTRY_TOKEN\n") !=
        std::string::npos);
  CHECK(dry.out.find(job.engine().registry_password()) == std::string::npos);

  // Debug logging shows every request, but no credential in any form.
  const auto result =
      job.dlrun({"train", "--pull", "always", "--log-level", "debug", spec}, with_env);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ok\n");
  CHECK(result.err.find("POST /v1.41/images/create") != std::string::npos);
  CHECK(result.err.find(job.engine().registry_password()) == std::string::npos);
  CHECK(result.err.find("X-Registry-Auth") == std::string::npos);
  CHECK(result.err.find(base64_encode(job.engine().registry_password(), Base64Alphabet::url_safe)
                            .substr(0, 12)) == std::string::npos);
}

TEST_CASE("Ctrl-C during a pull stops it, exits 130 and starts nothing", "[registry][signals]") {
  JobFixture job;
  const std::string image = job.engine().registry() + "/dlrun-test/payload:1";
  Invocation interrupt;
  interrupt.env["DOCKER_CONFIG"] = docker_config(job, auths_config(job));
  interrupt.on_output = [sent = std::make_shared<bool>(false)](pid_t pid, const std::string&,
                                                               const std::string& err) {
    if (!*sent && err.find("dlrun: pulling") != std::string::npos) {
      kill(pid, SIGINT);
      *sent = true;
    }
  };
  const auto result = job.dlrun(
      {"train", "--pull", "always", job.write_spec({{"image", image}, {"command", {"true"}}})},
      interrupt);
  INFO(result.err);
  CHECK(result.exit_code == 130);
  CHECK(result.err.find("interrupted (SIGINT)") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
