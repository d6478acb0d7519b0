#include "dlrun/run/host/daemon_memory.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fake_env.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

// A cache directory of the test's own whose daemons.json says that the default socket's daemon
// refused memlock at `learned` (seconds since the epoch, as written).
struct Cache {
  fs::path path;
  explicit Cache(const std::string& learned) {
    std::string pattern = (fs::temp_directory_path() / "dlrun-cache-XXXXXX").string();
    path = mkdtemp(pattern.data());
    fs::create_directories(path / "dlrun");
    std::ofstream(path / "dlrun" / "daemons.json")
        << R"({"daemons": {"unix:///var/run/docker.sock": {"server": "Docker/24.0.7",
             "refused": ["memlock"], "learned": )"
        << learned << "}}}\n";
  }
  ~Cache() { fs::remove_all(path); }
  EnvLookup env() const { return testing::FakeEnv{{{"XDG_CACHE_HOME", path.string()}}}.lookup(); }
};

}  // namespace

// Found by tests/fuzz (daemon_memory): a "learned" past 2262 overflowed the clock's nanoseconds.
TEST_CASE("a daemon memory with a time the clock cannot hold is an empty one", "[run][fuzz]") {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const Cache recent(std::to_string(now.count()));
  const auto refused = DaemonMemory::load(recent.env()).recall("unix:///var/run/docker.sock", "");
  REQUIRE(refused);
  CHECK(refused->refused == std::vector<std::string>{"memlock"});
  for (const char* learned : {"17960207600", "9223372036854775807", "-1", "1e300", "1.5"}) {
    INFO(learned);
    const Cache odd(learned);
    CHECK_FALSE(DaemonMemory::load(odd.env()).recall("unix:///var/run/docker.sock", ""));
  }
}

TEST_CASE("an engine's profile is remembered for its version, beside what it refused",
          "[run][engine]") {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const Cache cache(std::to_string(now.count()));
  const std::string socket = "unix:///var/run/docker.sock";
  EngineProfile podman;
  podman.product = EngineProduct::podman;
  podman.version = "4.3.1";
  podman.architecture = "x86_64";
  podman.rootless = true;
  podman.log_drivers = {"k8s-file", "journald"};
  podman.cdi_spec_dirs = {"/etc/cdi", "/var/run/cdi"};
  {
    auto memory = DaemonMemory::load(cache.env());
    CHECK_FALSE(memory.profile(socket, "Docker/24.0.7"));
    memory.remember_profile(socket, "Docker/24.0.7", podman);
  }
  auto memory = DaemonMemory::load(cache.env());
  const auto known = memory.profile(socket, "Docker/24.0.7");
  REQUIRE(known);
  CHECK(known->name() == "Podman 4.3.1");
  CHECK(known->rootless);
  CHECK(known->log_drivers == podman.log_drivers);
  CHECK(known->cdi_spec_dirs == podman.cdi_spec_dirs);
  // The refusal learned from the same version stays; another version is asked again.
  CHECK(memory.recall(socket, "Docker/24.0.7")->refused == std::vector<std::string>{"memlock"});
  CHECK_FALSE(memory.profile(socket, "Docker/25.0.0"));
  // Every default granted (doctor): the refusals go, the profile stays.
  memory.forget(socket);
  const auto after = DaemonMemory::load(cache.env());
  CHECK(after.recall(socket, "Docker/24.0.7")->refused.empty());
  CHECK(after.profile(socket, "Docker/24.0.7"));
}

}  // namespace dlrun::run
