#include "engine_fixture.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>

#include "dlrun/engine/client.hpp"
#include "dlrun/engine/curl_transport.hpp"

namespace dlrun::testing {
namespace fs = std::filesystem;

const TestEngine* TestEngine::find() {
  static const TestEngine* found = []() -> const TestEngine* {
    const char* dir = std::getenv("DLRUN_TEST_ENGINE_DIR");
    if (dir == nullptr || !fs::exists(fs::path(dir) / "gpu/docker.sock") ||
        !fs::exists(fs::path(dir) / "plain/docker.sock") ||
        !fs::exists(fs::path(dir) / "podman/podman.sock") ||
        !fs::exists(fs::path(dir) / "cdi/docker.sock") ||
        !fs::exists(fs::path(dir) / "podman5/podman.sock")) {
      return nullptr;
    }
    return new TestEngine{dir};
  }();
  return found;
}

namespace {
std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  REQUIRE_FALSE(line.empty());
  return line;
}
}  // namespace

std::string TestEngine::registry() const {
  return first_line(dir / "registry/address");
}
std::string TestEngine::archive_proxy() const {
  return first_line(dir / "packages/archive_proxy");
}
std::string TestEngine::package_index() const {
  return first_line(dir / "packages/index_url");
}
std::string TestEngine::tls_host() const {
  return "tcp://" + first_line(dir / "plain/tls/address");
}
std::string TestEngine::ssh_host() const {
  return "ssh://root@" + first_line(dir / "sshd/address") + (dir / "plain/docker.sock").string();
}
std::string TestEngine::ssh_host_without_socket() const {
  return "ssh://root@" + first_line(dir / "sshd/address");
}
std::string TestEngine::ssh_host_refusing_forwards() const {
  return "ssh://root@" + first_line(dir / "sshd/address-no-forwarding");
}
std::string TestEngine::registry_user() const {
  return first_line(dir / "registry/user");
}
std::string TestEngine::registry_password() const {
  return first_line(dir / "registry/password");
}

JobFixture::JobFixture() : engine_(TestEngine::find()) {
  REQUIRE(engine_ != nullptr);
  std::string pattern = (fs::temp_directory_path() / "dlrun-job-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  dir_ = pattern;
  std::random_device random;
  run_label_ = "t" + std::to_string(random()) + std::to_string(random());
}

std::vector<EngineUnderTest> engines_under_test() {
  const TestEngine* engine = TestEngine::find();
  if (engine == nullptr) return {{"none", ""}};  // the test's REQUIRE then says so
  return {{"docker-hook", engine->gpu_host()},
          {"docker-cdi", engine->cdi_host()},
          {"podman", engine->podman_host()}};
}

JobFixture::JobFixture(EngineUnderTest on) : JobFixture() {
  host_ = std::move(on.host);
}

JobFixture::~JobFixture() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string JobFixture::write_spec(const nlohmann::json& fields, const std::string& file) const {
  nlohmann::json spec = {
      {"version", 1},
      {"image", kTestImage},
      {"labels", {{"dlrun_test_run", run_label_}}},
  };
  spec.merge_patch(fields);
  const fs::path path = dir_ / file;
  std::ofstream(path) << spec.dump(2);
  return path.string();
}

std::size_t occurrences(const std::string& text, std::string_view what) {
  std::size_t found = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++found;
  return found;
}

ProcessResult JobFixture::dlrun(std::vector<std::string> args, Invocation extra,
                                const std::string& host) const {
  extra.args = {DLRUN_BINARY};
  extra.args.insert(extra.args.end(), args.begin(), args.end());
  extra.env["DOCKER_HOST"] = !host.empty() ? host : !host_.empty() ? host_ : engine_->gpu_host();
  // What dlrun learns about the test engines stays with them, not in the user's ~/.cache.
  extra.env.try_emplace("XDG_CACHE_HOME", (engine_->dir / "cache").string());
  return run_process(extra);
}

std::vector<std::string> JobFixture::leftover_containers() const {
  std::vector<std::string> names;
  for (const auto& host :
       {engine_->gpu_host(), engine_->plain_host(), engine_->podman_host(),
        engine_->rootless_podman_host(), engine_->cdi_host(), engine_->podman5_host()}) {
    auto endpoint = engine::parse_docker_host(host);
    REQUIRE(endpoint);
    auto client =
        engine::EngineClient::connect(std::make_shared<engine::CurlTransport>(*endpoint), host);
    REQUIRE(client);
    auto listed = client->list_containers_with_label("dlrun_test_run=" + run_label_);
    REQUIRE(listed);
    for (const auto& container : *listed)
      names.push_back(container.name + " (" + container.state + ")");
  }
  return names;
}

Invocation signal_when_started(int signo, int times) {
  Invocation invocation;
  invocation.limit = std::chrono::seconds(60);
  invocation.on_output = [signo, times, sent = std::make_shared<int>(0)](
                             pid_t pid, const std::string& out, const std::string& err) {
    if (*sent == 0 && out.find("started") != std::string::npos) {
      kill(pid, signo);
      ++*sent;
    } else if (*sent > 0 && *sent < times && err.find("press Ctrl-C again") != std::string::npos) {
      kill(pid, signo);
      ++*sent;
    }
  };
  return invocation;
}

}  // namespace dlrun::testing
