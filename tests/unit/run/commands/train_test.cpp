// A whole `dlrun train` through a scripted transport: the requests in order, their bodies, and
// what is left behind when a step fails.
#include "dlrun/run/commands/train.hpp"

#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/process.hpp"
#include "dlrun/run/host/daemon_memory.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "fake_transport.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;
using testing::FakeTransport;

constexpr std::string_view kPing = "GET /_ping";
const std::map<std::string, std::string> kDockerHeaders = {{"api-version", "1.41"},
                                                           {"server", "Docker/20.10.24 (linux)"}};
constexpr std::string_view kSweep = "GET /v1.41/containers/json?all=1&filters=";

// One stdout frame of the attach stream.
std::string stdout_frame(std::string_view text) {
  std::string frame = {1, 0, 0, 0};
  const auto size = static_cast<std::uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((size >> shift) & 0xFF);
  return frame + std::string(text);
}

// A spec as a user writes it, in a directory of its own, and everything else of the outside
// world scripted: the daemon, an empty environment, output captured.
struct TrainHarness {
  fs::path dir = fs::temp_directory_path() / ("dlrun-train-test-" + std::to_string(getpid()));
  std::shared_ptr<FakeTransport> daemon =
      std::make_shared<FakeTransport>(FakeTransport::Order::any_order);
  int out = memfd_create("job-stdout", 0);
  int err = memfd_create("job-stderr", 0);
  sigset_t mask_before{};

  TrainHarness() {
    fs::create_directories(dir);
    pthread_sigmask(SIG_SETMASK, nullptr, &mask_before);
    daemon->expect(std::string(kPing), 200, "OK", kDockerHeaders);
    daemon->expect(std::string(kSweep), 200, "[]");
    // What the engine is: Docker 20.10 on this machine, asked once a week (the memory is in
    // `dir`).
    engine_is(*daemon);
  }
  static void engine_is(FakeTransport& engine) {
    engine.always("GET /v1.41/version", 200, R"({"Version":"20.10.24","ApiVersion":"1.41"})");
    engine.always("GET /v1.41/info", 200,
                  R"({"Architecture":"x86_64","Plugins":{"Log":["json-file","local"]}})");
  }
  ~TrainHarness() {
    close(out);
    close(err);
    fs::remove_all(dir);
    // train() blocks SIGINT, SIGTERM and SIGHUP to read them itself.
    pthread_sigmask(SIG_SETMASK, &mask_before, nullptr);
  }

  TrainRequest request_for(const std::string& spec, Attachment attachment = Attachment::follow) {
    std::ofstream(dir / "job.json") << spec;
    return {.spec_file = dir / "job.json",
            .attachment = attachment,
            .pull_display = PullDisplayMode::quiet};
  }

  Surroundings surroundings() {
    return {.endpoint = {.kind = engine::EndpointKind::unix_socket,
                         .socket_path = "/fake/docker.sock",
                         .display = "unix:///fake/docker.sock"},
            .transports = [this](const engine::Endpoint&) { return daemon; },
            .env = [this](std::string_view name) -> std::optional<std::string> {
              if (name == "XDG_CACHE_HOME") return (dir / "cache").string();
              return std::nullopt;
            },
            .stdout_fd = out,
            .stderr_fd = err,
            // The same names every time, so that a dry run's plan and a run's can be compared.
            .host =
                [](std::string digest, EnvLookup env) {
                  HostContext host = current_host(std::move(digest), std::move(env));
                  host.run_suffix = "0a1b2c";
                  return host;
                }};
  }

  Result<int> train(const std::string& spec, Attachment attachment = Attachment::follow) {
    auto result = run::train(request_for(spec, attachment), surroundings());
    if (!result) return std::unexpected(result.error());
    return result->exit.exit_code;
  }

  const engine::Request& sent(std::string_view prefix) const {
    for (const auto& request : daemon->sent) {
      if ((request.method + " " + request.target).starts_with(prefix)) return request;
    }
    FAIL("no request " << prefix);
    return daemon->sent.front();
  }
};

}  // namespace

TEST_CASE("train pulls a missing image, then creates, attaches, starts, waits and removes",
          "[run][train]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 404,
                R"({"message":"No such image: busybox:1.36"})");
  daemon.expect("POST /v1.41/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=1.36", 200,
                R"({"status":"Pulling from library/busybox","id":"1.36"})"
                "\n"
                R"({"status":"Status: Downloaded newer image for busybox:1.36"})"
                "\n");
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":["PATH=/bin"]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  daemon.expect("POST /v1.41/containers/c0ffee/wait?condition=next-exit", 200,
                R"({"StatusCode":0})");
  daemon.expect("POST /v1.41/containers/c0ffee/attach?stream=1&stdout=1&stderr=1", 200,
                stdout_frame("epoch 1/1\n"));
  daemon.expect("POST /v1.41/containers/c0ffee/start", 204);
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);

  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})");
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(read_captured(harness.out) == "epoch 1/1\n");
  CHECK(daemon.unanswered() == 0);

  auto lines = daemon.lines();
  REQUIRE(lines.size() == 12);
  // Wait and attach go in from two threads before the start; their order is the scheduler's.
  std::sort(lines.begin() + 8, lines.begin() + 10);
  const std::vector<std::string> expected_prefixes = {
      "GET /_ping",
      "GET /v1.41/containers/json?all=1&filters=",
      // What the engine is, the first time: its machine, its log drivers.
      "GET /v1.41/version",
      "GET /v1.41/info",
      "GET /v1.41/images/busybox:1.36/json",
      "POST /v1.41/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=1.36",
      "GET /v1.41/images/busybox:1.36/json",
      "POST /v1.41/containers/create?name=dlrun-job-",
      "POST /v1.41/containers/c0ffee/attach",
      "POST /v1.41/containers/c0ffee/wait",
      "POST /v1.41/containers/c0ffee/start",
      "DELETE /v1.41/containers/c0ffee?force=1&v=1",
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(lines[i].starts_with(expected_prefixes[i]));
  }

  // The body is the finished plan's: the image as pulled, the spec's command, dlrun's labels.
  const auto body = nlohmann::json::parse(*harness.sent("POST /v1.41/containers/create").body);
  CHECK(body["Image"] == "busybox:1.36");
  CHECK(body["Cmd"] == nlohmann::json::array({"train"}));
  CHECK(body["Labels"]["dlrun.job"] == "job");
  CHECK(body["Labels"]["dlrun.managed"] == "true");
  CHECK(body["HostConfig"]["LogConfig"]["Type"] == "local");
  // A daemon that grants dlrun's defaults gets them, at no extra request (counted above).
  CHECK(body["HostConfig"]["Ulimits"] == nlohmann::json::parse(R"([
      {"Name": "memlock", "Soft": -1, "Hard": -1},
      {"Name": "stack", "Soft": 67108864, "Hard": 67108864}])"));
  // Remembered: what the engine is, and no refusal.
  const auto remembered = DaemonMemory::load(harness.surroundings().env)
                              .recall("unix:///fake/docker.sock", "Docker/20.10.24 (linux)");
  REQUIRE(remembered);
  CHECK(remembered->refused.empty());
  REQUIRE(remembered->profile);
  CHECK(remembered->profile->name() == "Docker 20.10.24");
}

// What a daemon without CAP_SYS_RESOURCE answers when asked to start a job with memlock raised.
constexpr std::string_view kMemlockRefusal =
    R"({"message":"failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 8: operation not permitted: unknown"})";

void expect_job(FakeTransport& daemon, const std::string& id, long start_status,
                std::string_view start_answer = "") {
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":")" + id + R"("})");
  daemon.expect("POST /v1.41/containers/" + id + "/wait", 200, R"({"StatusCode":0})");
  daemon.expect("POST /v1.41/containers/" + id + "/attach", 200, "");
  daemon.expect("POST /v1.41/containers/" + id + "/start", start_status, std::string(start_answer));
  daemon.expect("DELETE /v1.41/containers/" + id + "?force=1&v=1", 204);
}

std::vector<nlohmann::json> create_bodies(const FakeTransport& daemon) {
  std::vector<nlohmann::json> bodies;
  for (const auto& request : daemon.sent) {
    if (request.target.find("/containers/create") != std::string::npos)
      bodies.push_back(nlohmann::json::parse(*request.body));
  }
  return bodies;
}

bool asks_for(const nlohmann::json& body, std::string_view ulimit) {
  for (const auto& limit : body["HostConfig"]["Ulimits"]) {
    if (limit["Name"] == ulimit) return true;
  }
  return false;
}

TEST_CASE("a default the daemon refuses gives way to the daemon's own, once, and is remembered",
          "[run][train][defaults]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  const std::string spec = R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})";
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  expect_job(daemon, "first", 500, kMemlockRefusal);
  daemon.expect("DELETE /v1.41/containers/first?force=1&v=1", 404, "{}");
  expect_job(daemon, "second", 204);

  auto status = harness.train(spec);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(daemon.unanswered() == 0);
  auto bodies = create_bodies(daemon);
  REQUIRE(bodies.size() == 2);
  CHECK(asks_for(bodies[0], "memlock"));
  CHECK_FALSE(asks_for(bodies[1], "memlock"));  // the daemon's own limit
  CHECK(asks_for(bodies[1], "stack"));          // the rest of the defaults stay
  CHECK(fs::exists(harness.dir / "cache/dlrun/daemons.json"));

  // The next run asks for the daemon's value at once: one create, no retry.
  harness.daemon = std::make_shared<FakeTransport>(FakeTransport::Order::any_order);
  harness.daemon->expect(std::string(kPing), 200, "OK", kDockerHeaders);
  harness.daemon->expect(std::string(kSweep), 200, "[]");
  harness.daemon->expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  expect_job(*harness.daemon, "third", 204);
  status = harness.train(spec);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  bodies = create_bodies(*harness.daemon);
  REQUIRE(bodies.size() == 1);
  CHECK_FALSE(asks_for(bodies[0], "memlock"));
}

TEST_CASE("a daemon without docker-init runs the job without an init process, and says so",
          "[run][train][defaults]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  expect_job(
      daemon, "first", 500,
      R"({"message":"failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting \"/usr/bin/docker-init\" to rootfs at \"/sbin/docker-init\": stat /usr/bin/docker-init: no such file or directory: unknown"})");
  daemon.expect("DELETE /v1.41/containers/first?force=1&v=1", 404, "{}");
  expect_job(daemon, "second", 204);

  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})");
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  const auto bodies = create_bodies(daemon);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0]["HostConfig"]["Init"] == true);
  CHECK(bodies[1]["HostConfig"]["Init"] == false);
  CHECK(asks_for(bodies[1], "memlock"));  // only what was refused gives way
}

TEST_CASE("a value the user asked for is refused with the fix, never lowered",
          "[run][train][defaults]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  expect_job(daemon, "first", 500, kMemlockRefusal);
  daemon.expect("DELETE /v1.41/containers/first?force=1&v=1", 404, "{}");

  const auto status = harness.train(
      R"({"version": 1, "image": "busybox:1.36", "command": ["train"],
          "resources": {"memlock": "unlimited"}})");
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().kind == ErrorKind::setting_refused);
  CHECK(status.error().message.starts_with(
      "the Docker daemon may not raise the container's locked-memory limit (memlock)"));
  CHECK(status.error().hint ==
        "set \"resources\": {\"memlock\": \"8m\"} in the spec (at most `ulimit -Hl` of the "
        "daemon), or run dockerd with LimitMEMLOCK=infinity (systemd) or --default-ulimit "
        "memlock=-1:-1 (rootless daemons cannot)");
  CHECK(create_bodies(daemon).size() == 1);
  // Nothing of the user's is remembered as the daemon's refusal.
  const auto remembered = DaemonMemory::load(harness.surroundings().env)
                              .recall("unix:///fake/docker.sock", "Docker/20.10.24 (linux)");
  CHECK((!remembered || remembered->refused.empty()));
}

TEST_CASE("train refuses a daemon without an NVIDIA driver and leaves no container",
          "[run][train]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  // The request is kept (Docker keeps it; the daemon finds it has no driver only at the start).
  daemon.expect("GET /v1.41/containers/c0ffee/json", 200,
                R"({"State":{},"HostConfig":{"DeviceRequests":[{"Driver":"","Count":1}]}})");
  daemon.expect("POST /v1.41/containers/c0ffee/wait", 200, R"({"StatusCode":0})");
  daemon.expect("POST /v1.41/containers/c0ffee/attach", 200, "");
  daemon.expect("POST /v1.41/containers/c0ffee/start", 500,
                R"({"message":"could not select device driver \"\" with capabilities: [[gpu]]"})");
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 404,
                R"({"message":"No such container: c0ffee"})");

  // The host's driver is unknown to this test (no NVML is loaded for it): no preflight, so the
  // daemon's own refusal is what the user sees.
  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"], "gpus": 1})");
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().kind == ErrorKind::no_gpu_driver);
  CHECK(status.error().message ==
        "the job asks for GPUs, but the Docker daemon at unix:///fake/docker.sock has no NVIDIA "
        "device driver (could not select device driver \"\" with capabilities: [[gpu]])");
  CHECK(status.error().hint.starts_with("install the NVIDIA Container Toolkit"));
  // The job was never started, and its container is gone.
  const auto lines = daemon.lines();
  const auto created = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.starts_with("POST /v1.41/containers/create");
  });
  REQUIRE(created != lines.end());
  CHECK(std::find(created, lines.end(), "DELETE /v1.41/containers/c0ffee?force=1&v=1") !=
        lines.end());
  CHECK(daemon.unanswered() <= 1);  // the guard's second removal may find nothing to do
}

TEST_CASE("an engine that drops the GPU request gets the job refused before it starts",
          "[run][train]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  // As Podman 4.3 answers: the request is gone (integration/gpu_test.cpp runs the real one).
  daemon.expect("GET /v1.41/containers/c0ffee/json", 200,
                R"({"State":{},"HostConfig":{"DeviceRequests":null}})");
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 404, "{}");
  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"], "gpus": 1})");
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().kind == ErrorKind::no_gpu_driver);
  CHECK(status.error().message ==
        "the job asks for GPUs, but the Docker daemon dropped the request: it passes no GPUs "
        "through the Docker API's device requests, so the job would run without them");
  const auto lines = daemon.lines();
  CHECK(std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
          return line.find("/start") != std::string::npos;
        }) == lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "DELETE /v1.41/containers/c0ffee?force=1&v=1") !=
        lines.end());
}

TEST_CASE("a Ctrl-C before the start removes the container and ends every stream",
          "[run][train][signals]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  // The daemon ends neither stream for a container removed before its start.
  daemon.expect_hanging_stream("POST /v1.41/containers/c0ffee/wait");
  daemon.expect_hanging_stream("POST /v1.41/containers/c0ffee/attach");
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 404,
                R"({"message":"No such container: c0ffee"})");

  // The Ctrl-C arrives while the container is being made: pending when dlrun looks.
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, SIGINT);
  pthread_sigmask(SIG_BLOCK, &interrupt, nullptr);
  kill(getpid(), SIGINT);

  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})");
  REQUIRE(status.has_value());
  CHECK(*status == 130);
  CHECK(daemon.never_cancelled() == 0);
  const auto lines = daemon.lines();
  CHECK(std::find(lines.begin(), lines.end(), "POST /v1.41/containers/c0ffee/start") ==
        lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "DELETE /v1.41/containers/c0ffee?force=1&v=1") !=
        lines.end());
}

}  // namespace dlrun::run

namespace dlrun::run {

TEST_CASE("a wait the daemon never answers: the exit status is read from the container",
          "[run][train][faults]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  daemon.expect_hanging_stream("POST /v1.41/containers/c0ffee/wait");
  daemon.expect("POST /v1.41/containers/c0ffee/attach", 200, stdout_frame("epoch 1/1\n"));
  daemon.expect("POST /v1.41/containers/c0ffee/start", 204);
  // Asked once the output has closed and the wait's answer is late, then by the post-mortem of
  // an exit other than 0.
  for (int asked = 0; asked < 2; ++asked) {
    daemon.expect("GET /v1.41/containers/c0ffee/json", 200,
                  R"({"State":{"Status":"exited","Running":false,"ExitCode":3}})");
  }
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);

  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})");
  REQUIRE(status.has_value());
  CHECK(*status == 3);
  CHECK(read_captured(harness.out) == "epoch 1/1\n");
  CHECK(daemon.never_cancelled() == 0);
  CHECK(daemon.unanswered() == 0);
}

TEST_CASE("an output stream the daemon never ends does not hold the run after the job's exit",
          "[run][train][faults]") {
  TrainHarness harness;
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, R"({"Config":{"Env":[]}})");
  daemon.expect("POST /v1.41/containers/create?name=dlrun-job-", 201, R"({"Id":"c0ffee"})");
  daemon.expect("POST /v1.41/containers/c0ffee/wait", 200, R"({"StatusCode":0})");
  daemon.expect_hanging_stream("POST /v1.41/containers/c0ffee/attach");
  daemon.expect("POST /v1.41/containers/c0ffee/start", 204);
  daemon.expect("DELETE /v1.41/containers/c0ffee?force=1&v=1", 204);
  auto said = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  const auto logger_before = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("said", said));

  const auto status =
      harness.train(R"({"version": 1, "image": "busybox:1.36", "command": ["train"]})");
  spdlog::set_default_logger(logger_before);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(daemon.never_cancelled() == 0);
  const auto lines = said->last_formatted();
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("did not end the job's output stream") != std::string::npos;
  }));
}

}  // namespace dlrun::run

namespace dlrun::run {

TEST_CASE("a dry run prints the very body that train sends, the deadline's entrypoint included",
          "[run][train][golden]") {
  TrainHarness harness;
  const std::string spec =
      R"({"version": 1, "image": "busybox:1.36", "timeout": "5m", "env": {"EPOCHS": "3"}})";
  const std::string image_config =
      R"({"Config":{"Env":["PATH=/bin"],"Entrypoint":["/entry.sh"],"Cmd":["train.sh","--fast"]}})";
  auto& daemon = *harness.daemon;
  daemon.expect("GET /v1.41/images/busybox:1.36/json", 200, image_config);
  expect_job(daemon, "c0ffee", 204);
  daemon.expect("PUT /v1.41/containers/c0ffee/archive?path=%2F", 200);
  REQUIRE(harness.train(spec) == 0);
  CHECK(daemon.unanswered() == 0);
  const std::string sent = *harness.sent("POST /v1.41/containers/create").body;

  // The dry run, on the same engine with the image there.
  harness.daemon = std::make_shared<FakeTransport>(FakeTransport::Order::any_order);
  // The engine is remembered from the run: its machine is not asked again.
  harness.daemon->expect(std::string(kPing), 200, "OK", kDockerHeaders);
  harness.daemon->expect("GET /v1.41/images/busybox:1.36/json", 200, image_config);
  auto planned = plan_train(harness.request_for(spec), harness.surroundings());
  REQUIRE(planned.has_value());
  CHECK(harness.daemon->unanswered() == 0);
  CHECK(create_request_body(planned->plan, Secrets::revealed) == sent);
  const auto body = nlohmann::json::parse(sent);
  CHECK(body["Entrypoint"] ==
        nlohmann::json::parse(R"(["/.dlrun/timeout", "300", "10", "--", "/entry.sh"])"));
  CHECK(body["Cmd"] == nlohmann::json::parse(R"(["train.sh", "--fast"])"));
}

TEST_CASE("what no engine would run is refused before anything is pulled", "[run][train]") {
  SECTION("a detached job whose output is not kept") {
    TrainHarness harness;
    const auto status = harness.train(
        R"({"version": 1, "image": "busybox:1.36", "resources": {"log_size": "none"}})",
        Attachment::detach);
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().message.starts_with("a detached job needs its output kept"));
    const auto lines = harness.daemon->lines();
    // The engine is only pinged, swept and asked what it is.
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == kPing);
    CHECK(lines[1].starts_with(kSweep));
    CHECK(lines[2] == "GET /v1.41/version");
    CHECK(lines[3] == "GET /v1.41/info");
  }
  SECTION("a timeout on an engine of another machine") {
    TrainHarness harness;
    harness.daemon->expect("GET /v1.41/version", 200,
                           R"({"Version":"26.1.5","ApiVersion":"1.45"})");
    harness.daemon->expect("GET /v1.41/info", 200, R"({"Architecture":"riscv64"})");
    const auto status =
        harness.train(R"({"version": 1, "image": "busybox:1.36", "timeout": "1h"})");
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().message.ends_with("but the engine runs on riscv64"));
    const auto lines = harness.daemon->lines();
    REQUIRE(lines.size() == 4);
    CHECK(lines[2] == "GET /v1.41/version");
    CHECK(lines[3] == "GET /v1.41/info");
    for (const auto& line : lines) CHECK(line.find("/images/") == std::string::npos);
  }
}

}  // namespace dlrun::run
