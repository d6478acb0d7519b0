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

}  // namespace dlrun::run
