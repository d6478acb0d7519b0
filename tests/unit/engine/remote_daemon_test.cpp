#include "dlrun/engine/remote_daemon.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dlrun/process.hpp"
#include "dlrun/sha256.hpp"

namespace dlrun::engine {
namespace {

namespace fs = std::filesystem;

// A remote user's home, and what the query prints there: run by sh as the remote login shell
// runs it, with only the environment given.
struct RemoteHome {
  fs::path home = fs::temp_directory_path() / ("dlrun-remote-home-" + std::to_string(getpid()));
  RemoteHome() { fs::create_directories(home / ".docker"); }
  ~RemoteHome() { fs::remove_all(home); }

  void context(const std::string& name, const std::string& meta_json) const {
    const fs::path dir = home / ".docker/contexts/meta" /
                         sha256_digest(name).substr(std::string_view("sha256:").size());
    fs::create_directories(dir);
    std::ofstream(dir / "meta.json") << meta_json;
  }
  void config(const std::string& json) const {
    std::ofstream(home / ".docker/config.json") << json;
  }

  std::string query(const std::vector<std::string>& environment = {}) const {
    std::vector<std::string> command = {"env", "-i", "PATH=/usr/bin:/bin", "HOME=" + home.string()};
    command.insert(command.end(), environment.begin(), environment.end());
    command.insert(command.end(), {"sh", "-c", remote_daemon_query()});
    const CapturedRun ran = run_captured(command);
    REQUIRE(ran.exit_code == 0);
    return ran.out;
  }
};

std::string meta(const std::string& name, const std::string& host) {
  return R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
         R"(","SkipTLSVerify":false}}})";
}

}  // namespace

TEST_CASE("the daemon an ssh host's docker CLI would reach, read without starting it",
          "[engine][ssh]") {
  RemoteHome remote;
  // Nothing configured: the default socket.
  CHECK(remote_daemon_socket(remote.query()) == "/var/run/docker.sock");

  // DOCKER_HOST in the session's environment (sshd SetEnv, ~/.ssh/environment) comes first.
  CHECK(remote_daemon_socket(remote.query({"DOCKER_HOST=unix:///run/user/1000/docker.sock"})) ==
        "/run/user/1000/docker.sock");
  // A daemon on TCP is the remote CLI's to reach (TLS files and all).
  CHECK(remote_daemon_socket(remote.query({"DOCKER_HOST=tcp://10.0.0.5:2376"})) == std::nullopt);

  // `docker context use rootless` there: config.json's currentContext and the context's meta.
  remote.context("rootless", meta("rootless", "unix:///run/user/1000/docker.sock"));
  remote.context("farm", meta("farm", "ssh://farm-gateway"));
  remote.config(R"({
	"auths": {"registry.example.com": {"auth": "c2VjcmV0OnNlY3JldA=="}},
	"currentContext": "rootless",
	"credsStore": "pass"
})");
  const std::string printed = remote.query();
  CHECK(remote_daemon_socket(printed) == "/run/user/1000/docker.sock");
  // config.json's credentials never leave the host: only its currentContext is printed.
  CHECK(printed.find("c2VjcmV0") == std::string::npos);
  CHECK(printed.find("pass") == std::string::npos);

  // DOCKER_CONTEXT over currentContext; DOCKER_HOST over both.
  CHECK(remote_daemon_socket(remote.query({"DOCKER_CONTEXT=farm"})) == std::nullopt);
  CHECK(remote_daemon_socket(remote.query({"DOCKER_CONTEXT=default"})) == "/var/run/docker.sock");
  CHECK(remote_daemon_socket(remote.query(
            {"DOCKER_HOST=unix:///srv/docker.sock", "DOCKER_CONTEXT=farm"})) == "/srv/docker.sock");
  // A context that is not there is the remote CLI's error to give.
  CHECK(remote_daemon_socket(remote.query({"DOCKER_CONTEXT=gone"})) == std::nullopt);

  // A meta.json written by hand, over several lines, and DOCKER_CONFIG elsewhere.
  fs::rename(remote.home / ".docker", remote.home / "docker-config");
  const fs::path pretty = remote.home / "docker-config/contexts/meta/x/meta.json";
  fs::create_directories(pretty.parent_path());
  std::ofstream(pretty) << "{\n  \"Name\": \"pretty\",\n  \"Endpoints\": {\n    \"docker\": "
                           "{\"Host\": \"unix:///var/lib/pretty.sock\"}\n  }\n}\n";
  CHECK(remote_daemon_socket(
            remote.query({"DOCKER_CONFIG=" + (remote.home / "docker-config").string(),
                          "DOCKER_CONTEXT=pretty"})) == "/var/lib/pretty.sock");
}

}  // namespace dlrun::engine
