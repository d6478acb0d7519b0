#include "dlrun/engine/client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlrun/engine/registry_auth.hpp"
#include "fake_transport.hpp"

namespace dlrun::engine {
namespace {

using testing::FakeTransport;

EngineClient connected(const std::shared_ptr<FakeTransport>& transport,
                       const std::string& api = "1.41") {
  transport->expect("GET /_ping", 200, "OK",
                    {{"api-version", api}, {"server", "Docker/20.10.24 (linux)"}});
  auto client = EngineClient::connect(transport, "unix:///test.sock");
  REQUIRE(client.has_value());
  return std::move(*client);
}

}  // namespace

TEST_CASE("the API version is the lower of ours and the daemon's", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  CHECK(connected(transport, "1.41").api_version() == ApiVersion{1, 41});
  CHECK(connected(transport, "1.52").api_version() == kClientMaxApi);

  auto client = connected(transport, "1.99");
  transport->expect("POST /v1.47/containers/abc/start", 204);
  CHECK(client.start_container("abc").has_value());
}

TEST_CASE("a daemon too old for GPU requests is refused", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  transport->expect("GET /_ping", 200, "OK", {{"api-version", "1.39"}});
  auto client = EngineClient::connect(transport, "unix:///test.sock");
  REQUIRE_FALSE(client);
  CHECK(client.error().kind == ErrorKind::engine_too_old);
  CHECK(client.error().message ==
        "the Docker daemon at unix:///test.sock speaks API 1.39, older than the 1.40 that GPU "
        "requests "
        "(DeviceRequests) need");
  CHECK(client.error().hint == "upgrade Docker Engine to 19.03 or newer");

  transport->expect("GET /_ping", 200, "OK");
  CHECK(EngineClient::connect(transport, "x").error().message ==
        "the server at x did not say which Docker API it speaks");
}

TEST_CASE("the daemon's refusals become typed errors with hints", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);

  transport->expect(
      "POST /v1.41/containers/c1/start", 500,
      R"({"message":"could not select device driver \"\" with capabilities: [[gpu]]"})");
  auto no_driver = client.start_container("c1");
  REQUIRE_FALSE(no_driver);
  CHECK(no_driver.error().kind == ErrorKind::no_gpu_driver);
  CHECK(no_driver.error().message ==
        "the Docker daemon at unix:///test.sock has no NVIDIA device driver (could not select "
        "device driver \"\" with capabilities: [[gpu]])");
  CHECK(no_driver.error().hint.starts_with(
      "install the NVIDIA Container Toolkit on the Docker host and restart"));

  transport->expect(
      "POST /v1.41/containers/c1/start", 500,
      R"({"message":"failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\nnvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.4, please update your driver to a newer version, or use an earlier cuda container: unknown"})");
  auto old_driver = client.start_container("c1");
  REQUIRE_FALSE(old_driver);
  CHECK(old_driver.error().kind == ErrorKind::gpu_unavailable);
  CHECK(old_driver.error().message.starts_with(
      "the host's NVIDIA driver is too old for this image: "));

  transport->expect("POST /v1.41/containers/create?name=dlrun-x", 404,
                    R"({"message":"No such image: nope:1"})");
  auto missing = client.create_container("dlrun-x", "{}");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::image_not_found);
  CHECK(missing.error().message ==
        "the Docker daemon could not create the container: No such image: nope:1");

  transport->expect("POST /v1.41/containers/c1/attach", 404, "No such container: c1\r\n");
  struct NullSink final : StreamSink {
    void on_headers(long) override {}
    bool on_body(std::span<const char>) override { return true; }
  } sink;
  auto attach = client.attach_container("c1", sink);
  REQUIRE_FALSE(attach);
  CHECK(attach.error().message ==
        "the Docker daemon could not attach to the container: No such container: c1");
}

TEST_CASE("malformed daemon answers are reported, not trusted", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect("POST /v1.41/containers/create", 201, "<html>proxy error</html>");
  auto created = client.create_container("n1", "{}");
  REQUIRE_FALSE(created);
  CHECK(created.error().message.starts_with("the daemon's answer to create is not valid JSON: "));

  transport->expect("POST /v1.41/containers/create", 201, R"({"Warnings":[]})");
  CHECK(client.create_container("n1", "{}").error().message ==
        "the daemon created a container but did not say its id");

  transport->expect("POST /v1.41/containers/c/wait?condition=next-exit", 200, R"({"StatusCode":)");
  CHECK_FALSE(client.wait_container("c", WaitCondition::next_exit, [] {}).has_value());

  transport->expect("POST /v1.41/containers/c/wait", 200,
                    R"({"StatusCode":-1,"Error":{"Message":"context canceled"}})");
  CHECK(client.wait_container("c", WaitCondition::next_exit, [] {}).error().message ==
        "waiting for the container failed: context canceled");
}

TEST_CASE("wait reports ready when headers arrive, then the exit status", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect("POST /v1.41/containers/c/wait?condition=next-exit", 200,
                    R"({"StatusCode":42})");
  bool ready = false;
  auto status = client.wait_container("c", WaitCondition::next_exit, [&] { ready = true; });
  CHECK(ready);
  CHECK(status == 42);
}

TEST_CASE("stop, kill and remove tolerate a container that is already gone", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect("POST /v1.41/containers/c/kill?signal=SIGKILL", 409,
                    R"({"message":"container c is not running"})");
  transport->expect("DELETE /v1.41/containers/c?force=1&v=1", 404,
                    R"({"message":"No such container: c"})");
  transport->expect("POST /v1.41/containers/c/stop?t=10", 304);
  CHECK(client.kill_container("c", "SIGKILL").has_value());
  CHECK(client.remove_container("c").has_value());
  CHECK(client.stop_container("c", 10).has_value());
}

TEST_CASE("label filters are sent URL-encoded", "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect(
      "GET /v1.41/containers/json?all=1&filters=", 200,
      R"([{"Id":"abc","Names":["/dlrun-x-1"],"State":"exited","Labels":{"dlrun.job":"x"}}])");
  auto listed = client.list_containers_with_label("dlrun.managed=true");
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].name == "dlrun-x-1");
  CHECK(transport->sent.back().target ==
        "/v1.41/containers/"
        "json?all=1&filters=%7B%22label%22%3A%7B%22dlrun.managed%3Dtrue%22%3Atrue%7D%7D");
}

TEST_CASE("a rootless engine says so: Docker among its security options, Podman in its own info",
          "[engine][client]") {
  auto transport = std::make_shared<FakeTransport>();
  auto docker = connected(transport);
  transport->expect("GET /v1.41/info", 200,
                    R"({"SecurityOptions": ["name=seccomp,profile=default", "name=rootless"]})");
  CHECK(docker.info()->rootless);

  // Podman's Docker API lists no "name=rootless"; its /libpod/info, asked by its own version,
  // does.
  transport->expect("GET /_ping", 200, "OK",
                    {{"api-version", "1.41"}, {"server", "Libpod/4.3.1 (linux)"}});
  auto podman = EngineClient::connect(transport, "unix:///podman.sock");
  REQUIRE(podman);
  for (const bool rootless : {true, false}) {
    transport->expect("GET /v1.41/info", 200,
                      R"({"SecurityOptions": ["name=seccomp,profile=default"]})");
    transport->expect("GET /v4.3.1/libpod/info", 200,
                      nlohmann::json{{"host", {{"security", {{"rootless", rootless}}}}}}.dump());
    CHECK(podman->info()->rootless == rootless);
  }
  CHECK(transport->unanswered() == 0);
}

// Found by tests/fuzz (engine_answers): a field of another type than the Engine API's threw out
// of the client and aborted dlrun; a float where an integer belongs overflowed its conversion.
TEST_CASE("daemon answers of other shapes than the Engine API's are errors, not aborts",
          "[engine][client][fuzz]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  const std::string unexpected = " is not what the Engine API describes: ";

  transport->expect("GET /v1.41/containers/json", 200, R"(["c1"])");
  CHECK(client.list_containers_with_label("dlrun.managed=true")
            .error()
            .message.starts_with("the daemon's answer to list containers" + unexpected));
  transport->expect("GET /v1.41/containers/json", 200, R"([{"Names": [1]}])");
  CHECK_FALSE(client.list_containers_with_label("dlrun.managed=true"));
  transport->expect("GET /v1.41/containers/c/json", 200, R"({"State": {"Status": 1}})");
  CHECK(client.inspect_container("c").error().message.starts_with("the daemon's answer to inspect" +
                                                                  unexpected));
  transport->expect("GET /v1.41/info", 200, R"({"ServerVersion": []})");
  CHECK(client.info().error().message.starts_with("the daemon's answer to info" + unexpected));
  transport->expect("GET /v1.41/images/busybox/json", 200, R"({"Id": 5})");
  CHECK(client.inspect_image("busybox").error().message.starts_with(
      "the daemon's answer to image inspect" + unexpected));
  transport->expect("POST /v1.41/containers/c/wait", 200, R"({"Error": {"Message": 5}})");
  CHECK(client.wait_container("c", WaitCondition::next_exit, [] {})
            .error()
            .message.starts_with("the daemon's answer to wait" + unexpected));

  transport->expect("GET /v1.41/containers/c/json", 200,
                    R"({"State": {"ExitCode": 1e300}, "HostConfig": {"Memory": 1.5}})");
  const auto inspected = client.inspect_container("c");
  REQUIRE(inspected);
  CHECK(inspected->exit_code == 0);
  CHECK(inspected->memory_bytes == 0);
  transport->expect("GET /v1.41/info", 200, R"({"NCPU": -1e300, "MemTotal": 1e300})");
  const auto info = client.info();
  REQUIRE(info);
  CHECK(info->cpus == 0);
  CHECK(info->memory_bytes == 0);
}

}  // namespace dlrun::engine

namespace dlrun::engine {

TEST_CASE("a build sends the base's registry credentials as X-Registry-Config, and only then",
          "[engine][client][build]") {
  struct Quiet final : BuildObserver {
    void on_event(const BuildEvent&) override {}
  } observer;
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  const auto header_of = [](const Request& request) -> std::optional<std::string> {
    for (const auto& [name, value] : request.headers)
      if (name == "X-Registry-Config") return value;
    return std::nullopt;
  };
  const std::string config =
      encode_registry_config("127.0.0.1:5000", {"alice", "secret", "", "127.0.0.1:5000"});
  transport->expect("POST /v1.41/build?", 200, R"({"aux":{"ID":"sha256:1"}})");
  REQUIRE(client.build_image({.context_tar = "tar", .tag = "dlrun/x:1", .registry_config = config},
                             observer));
  CHECK(header_of(transport->sent.back()) == config);

  transport->expect("POST /v1.41/build?", 200, R"({"aux":{"ID":"sha256:1"}})");
  REQUIRE(client.build_image({.context_tar = "tar", .tag = "dlrun/x:1"}, observer));
  CHECK_FALSE(header_of(transport->sent.back()).has_value());
}

}  // namespace dlrun::engine

namespace dlrun::engine {

TEST_CASE("a command run in a container: its variables in the exec, its exit code inspected",
          "[engine][client][build]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect("POST /v1.41/containers/c/exec", 201, R"({"Id":"e1"})");
  transport->expect("POST /v1.41/exec/e1/start", 200, std::string("\x01\0\0\0\0\0\0\x03hi\n", 11));
  transport->expect("GET /v1.41/exec/e1/json", 200, R"({"Running":false,"ExitCode":7})");
  struct Collected final : StreamSink {
    std::string bytes;
    void on_headers(long /*status*/) override {}
    bool on_body(std::span<const char> piece) override {
      bytes.append(piece.data(), piece.size());
      return true;
    }
  } output;
  const auto exit_code =
      client.exec_in_container("c", {"/bin/sh", "-c", "make"}, {"TOKEN=s3cret"}, output);
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 7);
  CHECK(output.bytes.size() == 11);
  const auto request = nlohmann::json::parse(transport->sent[1].body.value_or(""));
  CHECK(request["Env"] == nlohmann::json({"TOKEN=s3cret"}));
  CHECK(request["User"] == "root");
  CHECK(request["Cmd"] == nlohmann::json({"/bin/sh", "-c", "make"}));

  SECTION("a command whose output ended while it runs is the daemon's failure, not an exit") {
    transport->expect("POST /v1.41/containers/c/exec", 201, R"({"Id":"e2"})");
    transport->expect("POST /v1.41/exec/e2/start", 200);
    transport->expect("GET /v1.41/exec/e2/json", 200, R"({"Running":true,"ExitCode":null})");
    const auto lost = client.exec_in_container("c", {"true"}, {}, output);
    REQUIRE_FALSE(lost.has_value());
    CHECK(lost.error().kind == ErrorKind::engine);
  }
}

TEST_CASE("a commit names the container, the step and, at the end, the tag",
          "[engine][client][build]") {
  auto transport = std::make_shared<FakeTransport>();
  auto client = connected(transport);
  transport->expect("POST /v1.41/commit?container=c&comment=dlrun%20step", 201,
                    R"({"Id":"sha256:1"})");
  transport->expect("POST /v1.41/commit?container=c&comment=last&repo=dlrun%2Fjob&tag=abc", 201,
                    R"({"Id":"sha256:2"})");
  CHECK(client.commit_container("c", "{}", "dlrun step", "") == "sha256:1");
  CHECK(client.commit_container("c", "{}", "last", "dlrun/job:abc") == "sha256:2");
  transport->expect(
      "POST /v1.41/commit?container=c&comment=x&changes=CMD%20%5B%5D&changes=LABEL%20a%3Db%20c",
      201, R"({"Id":"sha256:3"})");
  CHECK(client.commit_container("c", "{}", "x", "", {"CMD []", "LABEL a=b c"}) == "sha256:3");
  transport->expect("GET /v1.41/images/json?all=1&filters=", 200, "[]");
  const auto none = client.find_image_with_label("dlrun.build.step=k");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
  transport->expect("GET /v1.41/images/json?all=1&filters=", 200, R"([{"Id":"sha256:3"}])");
  const auto found = client.find_image_with_label("dlrun.build.step=k");
  REQUIRE(found.has_value());
  CHECK(found->value_or("") == "sha256:3");
}

}  // namespace dlrun::engine
