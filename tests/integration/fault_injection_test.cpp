// dlrun interrupted at random moments, repeatably (a seed): every run ends with its documented
// exit code, says why where it still could, and leaves no container, no empty outputs
// directory of a job that never started, and the per-daemon memory whole.
//
//   DLRUN_FAULT_RUNS=50 DLRUN_FAULT_SEED=20261130 ctest --preset test -R interruptions
//
// CI runs a short form (12 runs); docs/reliability.md has the summary line of a full one.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

long from_environment(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::strtol(value, nullptr, 10);
}

// An Invocation::on_output that runs `act` once, at the first output holding `marker`.
std::function<void(pid_t, const std::string&, const std::string&)> at_first(
    std::string marker, std::function<void()> act) {
  return [marker = std::move(marker), act = std::move(act), done = std::make_shared<bool>(false)](
             pid_t, const std::string& out, const std::string& err) {
    if (*done || (out.find(marker) == std::string::npos && err.find(marker) == std::string::npos))
      return;
    *done = true;
    act();
  };
}

struct Signal {
  int number;
  int exit_code;
  std::string_view words;  // what dlrun says once its signal watcher is up
};

}  // namespace

TEST_CASE("random interruptions: documented exit code, a clear message, nothing left behind",
          "[engine][signals][faults]") {
  const long runs = from_environment("DLRUN_FAULT_RUNS", 12);
  const auto seed = static_cast<std::uint32_t>(from_environment("DLRUN_FAULT_SEED", 20261130));
  std::mt19937 random(seed);
  const Signal signals[] = {{SIGINT, 130, "interrupted (SIGINT)"},
                            {SIGTERM, 143, "terminated (SIGTERM)"},
                            {SIGHUP, 129, "hung up (SIGHUP)"},
                            {SIGKILL, 137, ""}};
  // From dlrun's start-up through create, attach and start, into the stream, and (a second
  // signal) into the stop's grace period; one run in five from the start of a pull (a 64 MB
  // image from the harness registry) into it.
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  std::uniform_int_distribution<int> pull_delay_ms(0, 400);
  std::uniform_int_distribution<int> which(0, 3);
  std::bernoulli_distribution twice(0.25);
  std::bernoulli_distribution pulling(0.2);

  int clean = 0;
  int orphans = 0;
  int pulls = 0;
  for (long run = 0; run < runs; ++run) {
    JobFixture job;
    const Signal& signal = signals[which(random)];
    const bool pull = pulling(random);
    pulls += pull ? 1 : 0;
    const int delay = pull ? pull_delay_ms(random) : delay_ms(random);
    const bool second = twice(random) && signal.number != SIGKILL;
    INFO("seed " << seed << ", run " << run << ": signal " << signal.number << " after " << delay
                 << " ms" << (pull ? " of a pull" : "") << (second ? ", twice" : ""));

    Invocation interrupted;
    interrupted.limit = std::chrono::seconds(60);
    const std::string pulled_image = job.engine().registry() + "/dlrun-test/payload:1";
    if (pull) {
      interrupted.env["DOCKER_CONFIG"] = (job.engine().dir / "registry/docker-config").string();
    }
    interrupted.on_output = [&, sent = std::make_shared<int>(0),
                             began = std::make_shared<std::chrono::steady_clock::time_point>(
                                 std::chrono::steady_clock::now())](pid_t pid, const std::string&,
                                                                    const std::string& err) {
      // A pull run counts from the pull's first line.
      if (pull && *sent == 0 && err.find("pulling " + pulled_image) == std::string::npos) {
        *began = std::chrono::steady_clock::now();
        return;
      }
      const auto elapsed = std::chrono::steady_clock::now() - *began;
      if (*sent == 0 && elapsed >= std::chrono::milliseconds(delay)) {
        kill(pid, signal.number);
        ++*sent;
      } else if (*sent == 1 && second && err.find("press Ctrl-C again") != std::string::npos) {
        kill(pid, signal.number);
        ++*sent;
      }
    };
    // Output every 50 ms, so that the callback above is called often enough to be on time.
    nlohmann::json spec = {{"outputs", "./outputs"},
                           {"command",
                            "trap 'echo got-term; sleep 0.3; exit 3' TERM; "
                            "while true; do echo tick; sleep 0.05; done"}};
    std::vector<std::string> train = {"train", job.write_spec(spec)};
    if (pull) {
      spec["image"] = pulled_image;
      // The engine is shared: only --pull always makes sure there is a pull to interrupt.
      train = {"train", "--pull", "always", job.write_spec(spec)};
    }
    const auto result = job.dlrun(train, interrupted);

    const bool finished_first = result.exit_code == 3;  // cannot: the job never ends by itself
    CHECK_FALSE(finished_first);
    CHECK(result.exit_code == signal.exit_code);
    // Once dlrun watches for signals (well within 300 ms of its start) it says what happened.
    if (delay >= 300 && !signal.words.empty()) {
      CHECK(result.err.find(std::string(signal.words)) != std::string::npos);
    }
    // A hang-up leaves a started job running on purpose, marked; a SIGKILLed dlrun leaves its
    // container for `dlrun clean`. Either way, what is left is found and removed by dlrun.
    auto left = job.leftover_containers();
    if (signal.number == SIGHUP) {
      for (const auto& container : left) CHECK(container.find("-detached ") != std::string::npos);
      for (const auto& container : left) {
        const std::string name = container.substr(0, container.find(' '));
        CHECK(job.dlrun({"stop", "-t", "1", name}).exit_code == 0);
        CHECK(job.dlrun({"rm", name}).exit_code == 0);
      }
    } else if (signal.number == SIGKILL && !left.empty()) {
      ++orphans;
      CHECK(job.dlrun({"clean", "--running"}).exit_code == 0);
    } else {
      CHECK(left.empty());
    }
    left = job.leftover_containers();
    CHECK(left.empty());
    // A job that never started leaves no outputs directory of dlrun's making (a SIGKILLed dlrun
    // cannot take it back).
    const auto outputs = job.dir() / "outputs";
    const bool half_made =
        signal.number != SIGKILL && result.out.find("tick") == std::string::npos &&
        std::filesystem::is_directory(outputs) && std::filesystem::is_empty(outputs);
    CHECK_FALSE(half_made);
    // The per-daemon memory every run may write stays one whole document.
    const auto memory = job.engine().dir / "cache/dlrun/daemons.json";
    if (std::filesystem::exists(memory)) {
      std::ifstream in(memory);
      CHECK_FALSE(nlohmann::json::parse(in, nullptr, false).is_discarded());
    }
    if (left.empty() && !half_made) ++clean;
  }
  std::printf(
      "%ld interruptions (seed %u, %d of them during a pull): %d clean, %d orphans of a "
      "SIGKILLed dlrun removed by dlrun clean\n",
      runs, seed, pulls, clean, orphans);
  CHECK(clean == runs);
}

}  // namespace dlrun::testing

namespace dlrun::testing {
namespace {

// An engine of the test's own, to kill: the fixture's serve every other test at once.
class DisposableEngine {
 public:
  // In a network namespace of its own, or in `netns` (the fixture's, to reach its registry).
  explicit DisposableEngine(const std::filesystem::path& dir,
                            const std::filesystem::path& netns = {})
      : dir_(dir) {
    std::vector<std::string> start = {script(), "start", dir_.string(), "--image", kTestImage};
    if (!netns.empty()) start.insert(start.end(), {"--netns", netns.string()});
    const auto started = run_process({.args = start, .limit = std::chrono::seconds(120)});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
  }
  ~DisposableEngine() { (void)run_process({.args = {script(), "stop", dir_.string()}}); }
  DisposableEngine(const DisposableEngine&) = delete;
  DisposableEngine& operator=(const DisposableEngine&) = delete;

  std::string host() const { return "unix://" + (dir_ / "docker.sock").string(); }
  // SIGKILLs dockerd, found by its socket in this (the host's) PID namespace.
  void kill_now() const {
    const auto found =
        run_process({.args = {"/usr/bin/pgrep", "-f",
                              "^dockerd .*--host unix://" + (dir_ / "docker.sock").string()}});
    const auto dockerd = static_cast<pid_t>(std::strtol(found.out.c_str(), nullptr, 10));
    REQUIRE(dockerd > 0);
    kill(dockerd, SIGKILL);
  }

 private:
  static std::string script() {
    return std::string(DLRUN_SOURCE_DIR) + "/scripts/private-engine.sh";
  }
  std::filesystem::path dir_;
};

}  // namespace

TEST_CASE("the daemon killed mid-job: exit 125 at once, saying what happened and what is left",
          "[engine][faults]") {
  JobFixture job;
  DisposableEngine engine(job.dir() / "engine");
  const auto spec = job.write_spec({{"command", "echo started; sleep 120"}});
  Invocation as;
  as.limit = std::chrono::seconds(60);
  as.on_output = at_first("started", [&engine] { engine.kill_now(); });
  const auto started = std::chrono::steady_clock::now();
  const auto result = job.dlrun({"train", spec}, as, engine.host());
  INFO(result.err);
  CHECK(result.exit_code == 125);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK(result.err.find("dlrun: error: ") != std::string::npos);
  // The container could not be removed with the daemon gone: the hint says how, for later.
  CHECK(result.err.find("the container was left behind") != std::string::npos);
  CHECK(result.err.find("docker rm -f") != std::string::npos);
}

}  // namespace dlrun::testing

namespace dlrun::testing {
namespace {

// A file system with no room left, of the test's own: a tmpfs filled to its last inode and
// byte, unmounted at the end.
class FullFileSystem {
 public:
  explicit FullFileSystem(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    const auto mounted = run_process({.args = {"/usr/bin/mount", "-t", "tmpfs", "-o",
                                               "size=64k,nr_inodes=16", "tmpfs", dir_.string()}});
    INFO(mounted.err);
    REQUIRE(mounted.exit_code == 0);
    for (int i = 0; i < 64; ++i) {
      std::ofstream filler(dir_ / ("filler-" + std::to_string(i)));
      if (!filler) break;
      filler << std::string(8192, 'x');
    }
  }
  ~FullFileSystem() { (void)run_process({.args = {"/usr/bin/umount", dir_.string()}}); }
  FullFileSystem(const FullFileSystem&) = delete;
  FullFileSystem& operator=(const FullFileSystem&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // What is there besides the filler: what dlrun left.
  std::vector<std::string> left_behind() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with("filler-")) names.push_back(entry.path().string());
    }
    return names;
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

TEST_CASE("a full file system: the cache is given up quietly, outputs fail before any container",
          "[engine][faults]") {
  JobFixture job;
  FullFileSystem full(job.dir() / "full");
  Invocation as;
  as.env["XDG_CACHE_HOME"] = full.dir().string();

  // dlrun's own memory of the daemon (it refuses memlock, so every run would write it) is not
  // worth failing a job over: the job runs, and no half-written file is left.
  const auto ran = job.dlrun({"train", job.write_spec({{"command", "echo ran"}})}, as);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "ran\n");

  // An outputs directory that cannot be made stops the run before anything is created.
  const auto refused = job.dlrun(
      {"train",
       job.write_spec({{"command", "echo never"}, {"outputs", (full.dir() / "outputs").string()}},
                      "outputs.json")},
      as);
  INFO(refused.err);
  CHECK(refused.exit_code == 125);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("No space left on device") != std::string::npos);
  CHECK(full.left_behind().empty());
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("the daemon killed mid-pull: exit 125, saying what happened", "[engine][faults]") {
  JobFixture job;
  DisposableEngine engine(job.dir() / "engine", job.engine().dir / "netns");
  const std::string image = job.engine().registry() + "/dlrun-test/payload:1";
  const auto spec = job.write_spec({{"image", image}, {"command", "true"}});
  Invocation as;
  as.limit = std::chrono::seconds(90);
  as.env["DOCKER_CONFIG"] = (job.engine().dir / "registry/docker-config").string();
  // Once the layers are coming: a progress line of the pull.
  as.on_output = at_first(" MB of ", [&engine] { engine.kill_now(); });
  const auto started = std::chrono::steady_clock::now();
  const auto result = job.dlrun({"train", spec}, as, engine.host());
  INFO(result.err);
  CHECK(result.exit_code == 125);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK(result.err.find(" MB of ") != std::string::npos);  // the pull was under way
  CHECK(result.err.find("dlrun: error: ") != std::string::npos);
  CHECK(result.err.find("could not reach the registry") == std::string::npos);
  CHECK(result.err.find("daemon") != std::string::npos);
}

namespace {

// A registry of the test's own, without auth, behind a proxy that passes 8 MB/s
// (tests/harness/slow-proxy.py): slow enough to kill it mid-pull. The fixture's registry serves
// every other test at once.
class DisposableRegistry {
 public:
  DisposableRegistry(const TestEngine& engine, const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_ / "data");
    // Above the fixture's registry port: the fixture's listeners sit below +30.
    const std::string fixture = engine.registry();
    const int base = std::stoi(fixture.substr(fixture.rfind(':') + 1));
    port_ = base + 30;
    backend_ = "127.0.0.1:" + std::to_string(base + 31);
    std::ofstream(dir_ / "config.yml")
        << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
        << (dir_ / "data").string() << "\nhttp:\n  addr: " << backend_ << "\n";
    registry_ = start({"/usr/bin/docker-registry", "serve", (dir_ / "config.yml").string()});
    proxy_ = start({std::string(DLRUN_SOURCE_DIR) + "/tests/harness/slow-proxy.py",
                    std::to_string(port_), std::to_string(base + 31), "8000000"});
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (run_process(
              {.args = {"/usr/bin/curl", "-sf", "-o", "/dev/null", "http://" + address() + "/v2/"}})
              .exit_code == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("the disposable registry did not start");
  }
  ~DisposableRegistry() { kill_now(); }
  DisposableRegistry(const DisposableRegistry&) = delete;
  DisposableRegistry& operator=(const DisposableRegistry&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The registry itself, without the proxy: where images are pushed.
  const std::string& backend() const { return backend_; }
  // The registry and the way to it, at once.
  void kill_now() {
    for (pid_t* pid : {&registry_, &proxy_}) {
      if (*pid <= 0) continue;
      kill(*pid, SIGKILL);
      waitpid(*pid, nullptr, 0);
      *pid = -1;
    }
  }

 private:
  pid_t start(const std::vector<std::string>& argv) const {
    // Made before fork: a child of a threaded process may only make async-signal-safe calls.
    const std::string log = (dir_ / "registry.log").string();
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(args[0], args.data());
      _exit(127);
    }
    return pid;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  std::string backend_;
  pid_t registry_ = -1;
  pid_t proxy_ = -1;
};

}  // namespace

TEST_CASE("the registry killed mid-pull: exit 125 naming it, no image, no container",
          "[engine][faults][registry]") {
  JobFixture job;
  DisposableRegistry registry(job.engine(), job.dir() / "registry");
  // A 32 MB layer of random bytes no engine has, pushed from the plain engine.
  const std::string plain = job.engine().plain_host();
  const std::string pushed = registry.backend() + "/dlrun-test/fresh:1";
  const auto made = run_process(
      {.args = {"/bin/sh", "-c",
                "head -c 33554432 /dev/urandom > " + (job.dir() / "random.bin").string() +
                    " && tar -C " + job.dir().string() + " -c random.bin | docker -H " + plain +
                    " import - " + pushed + " && docker -H " + plain + " push " + pushed +
                    " && docker -H " + plain + " rmi " + pushed},
       .limit = std::chrono::seconds(120)});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const std::string image = registry.address() + "/dlrun-test/fresh:1";
  const auto spec = job.write_spec({{"image", image}, {"command", "true"}});
  Invocation as;
  as.limit = std::chrono::seconds(240);
  as.on_output = at_first(" MB of ", [&registry] { registry.kill_now(); });
  const auto result = job.dlrun({"train", spec}, as);
  INFO(result.err);
  CHECK(result.exit_code == 125);
  CHECK(result.err.find(" MB of ") != std::string::npos);  // the pull was under way
  CHECK(result.err.find("dlrun: error: ") != std::string::npos);
  CHECK(result.err.find(registry.address()) != std::string::npos);
  const auto tagged = run_process(
      {.args = {"/usr/bin/docker", "-H", job.engine().gpu_host(), "image", "inspect", image}});
  CHECK(tagged.exit_code != 0);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
