#include "dlrun/run/job/orphans.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/run/plan/labels.hpp"
#include "fake_transport.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

// A /proc with one boot id and the processes given (pid → start time).
struct FakeProc {
  fs::path root = fs::temp_directory_path() / ("dlrun-proc-" + std::to_string(::getpid()));
  explicit FakeProc(const std::string& boot_id) {
    fs::create_directories(root / "sys/kernel/random");
    std::ofstream(root / "sys/kernel/random/boot_id") << boot_id << "\n";
  }
  ~FakeProc() { fs::remove_all(root); }
  void process(int pid, const std::string& start) const {
    fs::create_directories(root / std::to_string(pid));
    // The command name may hold spaces and parentheses; the start time is field 22.
    std::ofstream(root / std::to_string(pid) / "stat")
        << pid << " (py (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 " << start
        << " 23 24\n";
  }
};

std::string this_host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

TEST_CASE("a container's owner is alive, gone, or not ours to judge", "[run][orphans]") {
  FakeProc proc("boot-1");
  proc.process(4242, "777");
  const std::string host = this_host();
  CHECK(owner_state(host + ":boot-1:4242:777", proc.root) == OwnerState::alive);
  // The pid was reused by another process, the process is gone, the host rebooted.
  CHECK(owner_state(host + ":boot-1:4242:778", proc.root) == OwnerState::gone);
  CHECK(owner_state(host + ":boot-1:4343:777", proc.root) == OwnerState::gone);
  CHECK(owner_state(host + ":boot-0:4242:777", proc.root) == OwnerState::gone);
  // Another host's container on a shared engine, or a label dlrun cannot read: left alone.
  CHECK(owner_state("other-host:boot-1:4242:777", proc.root) == OwnerState::elsewhere);
  CHECK(owner_state("", proc.root) == OwnerState::elsewhere);
  CHECK(owner_state(host + ":boot-1:x:777", proc.root) == OwnerState::elsewhere);
  CHECK(owner_state(host + ":boot-1:4242", proc.root) == OwnerState::elsewhere);
}

TEST_CASE("this process is alive by its own label", "[run][orphans]") {
  const std::string owner = owner_of_this_process();
  CHECK(owner.starts_with(this_host() + ":"));
  CHECK(owner_state(owner) == OwnerState::alive);
}

TEST_CASE("a killed dlrun's build step is removed although its container still runs",
          "[run][orphans][build]") {
  auto transport = std::make_shared<testing::FakeTransport>();
  transport->expect("GET /_ping", 200, "OK", {{"api-version", "1.41"}});
  auto client = engine::EngineClient::connect(transport, "unix:///test.sock");
  REQUIRE(client);
  std::ifstream boot_file("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  std::getline(boot_file, boot_id);
  // No process has pid 2^22 + 1 (above pid_max's largest value): the owner is gone.
  const std::string dead_owner = this_host() + ":" + boot_id + ":4194305:1";
  const nlohmann::json listed = nlohmann::json::array(
      {{{"Id", "step"},
        {"Names", {"/eager_turing"}},
        {"State", "running"},
        {"Labels",
         {{"dlrun.managed", "true"},
          {"dlrun.job", kBuildStepJobName},
          {"dlrun.owner", dead_owner}}}},
       {{"Id", "job"},
        {"Names", {"/dlrun-train-x"}},
        {"State", "running"},
        {"Labels",
         {{"dlrun.managed", "true"}, {"dlrun.job", "train"}, {"dlrun.owner", dead_owner}}}}});
  transport->expect("GET /v1.41/containers/json", 200, listed.dump());
  transport->expect("DELETE /v1.41/containers/step?force=1&v=1", 204);
  remove_finished_orphans(*client);
  // The build step is removed; the killed dlrun's running job is left for `dlrun clean --running`.
  CHECK(transport->lines().back() == "DELETE /v1.41/containers/step?force=1&v=1");
  CHECK(transport->unanswered() == 0);
}

}  // namespace dlrun::run
