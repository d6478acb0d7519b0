// The exact request dlrun sends for each example spec, checked against a readable file. Taken
// from the plan `dlrun train --dry-run` shows, which is the plan `train` sends (train_test holds
// the two equal): the whole pipeline's, after image choice, mirrors, what is known of the daemon
// and the image's own entrypoint, which a timeout wraps.
// Regenerate after an intended change: DLRUN_UPDATE_GOLDEN=1 ctest -R golden
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/docker_command.hpp"
#include "dlrun/run/plan/timeout_program.hpp"
#include "fake_env.hpp"
#include "fake_transport.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// An engine of this machine that holds the examples' images, as their registries build them:
// NGC's images start through NVIDIA's entrypoint script, the others have none.
std::shared_ptr<testing::FakeTransport> engine_with_the_images() {
  auto engine = std::make_shared<testing::FakeTransport>(testing::FakeTransport::Order::any_order);
  engine->always("GET /_ping", 200, "OK", {{"api-version", "1.41"}});
  engine->always("GET /v1.41/version", 200, R"({"Version":"20.10.24","ApiVersion":"1.41"})");
  engine->always("GET /v1.41/info", 200,
                 nlohmann::json{{"Architecture", timeout_program_architecture()}}.dump());
  engine->always("GET /v1.41/images/json", 200, "[]");
  engine->always("GET /v1.41/images/nvcr.io/", 200,
                 R"({"Config":{"Env":["PATH=/usr/bin:/bin"],
                     "Entrypoint":["/opt/nvidia/nvidia_entrypoint.sh"],"Cmd":null}})");
  engine->always(
      "GET /v1.41/images/", 200,
      R"({"Config":{"Env":["PATH=/usr/bin:/bin"],"Entrypoint":null,"Cmd":["/bin/bash"]}})");
  return engine;
}

// The same user, names and secrets on every machine.
Surroundings golden_surroundings() {
  return {.endpoint = {.kind = engine::EndpointKind::unix_socket,
                       .socket_path = "/var/run/docker.sock",
                       .display = "unix:///var/run/docker.sock"},
          .transports = [](const engine::Endpoint&) -> std::shared_ptr<engine::Transport> {
            return engine_with_the_images();
          },
          .env = testing::FakeEnv{{{"HF_TOKEN", "hf_SECRET_token"},
                                   {"MY_WANDB_KEY", "wandb_SECRET_key"},
                                   {"HOME", "/nonexistent"}}}
                     .lookup(),
          .host =
              [](std::string digest, EnvLookup env) {
                HostContext host;
                host.uid = 1000;
                host.gid = 1000;
                host.user_name = "alice";
                host.lookup_env = std::move(env);
                host.spec_digest = std::move(digest);
                host.run_suffix = "0a1b2c";
                return host;
              }};
}

void check_golden(const fs::path& golden, const std::string& actual) {
  if (std::getenv("DLRUN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  REQUIRE(fs::exists(golden));
  CHECK(read_file(golden) == actual);
}

}  // namespace

TEST_CASE("each example spec produces its golden create request and docker command",
          "[run][golden]") {
  const fs::path examples = DLRUN_SOURCE_DIR "/examples";
  const fs::path goldens = DLRUN_SOURCE_DIR "/tests/golden";
  // The examples as a user has them, in a directory of their own; host paths in the goldens
  // read /project/examples whatever that directory is.
  const fs::path project =
      fs::temp_directory_path() / ("dlrun-golden-" + std::to_string(getpid())) / "examples";
  fs::create_directories(project.parent_path());
  fs::copy(examples, project, fs::copy_options::recursive);
  const auto portable = [&](const std::string& text) {
    return replace_all(text, project.string(), "/project/examples");
  };

  int checked = 0;
  for (const auto& entry : fs::directory_iterator(project)) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().filename().string());
    // The driver and GPUs as told, so that no machine's NVML takes part.
    auto planned = plan_train({.spec_file = entry.path(),
                               .host = {.driver_version = "550.54.14", .gpu_archs = {"sm_90"}}},
                              golden_surroundings());
    REQUIRE(planned.has_value());
    const ContainerPlan& plan = planned->plan;

    const std::string body = portable(create_request_body(plan, Secrets::masked, 2)) + "\n";
    check_golden(goldens / (entry.path().stem().string() + ".create.json"), body);
    check_golden(goldens / (entry.path().stem().string() + ".docker.txt"),
                 portable(docker_run_command(plan)) + "\n");

    // The revealed body differs from the printed one in the secrets' values alone: the same
    // document once each Env entry the plan marks secret is masked again.
    auto revealed = nlohmann::json::parse(portable(create_request_body(plan, Secrets::revealed)));
    REQUIRE(revealed["Env"].size() == plan.env.size());
    for (std::size_t i = 0; i < plan.env.size(); ++i) {
      if (plan.env[i].secret())
        revealed["Env"][i] = plan.env[i].name + "=" + std::string(kMaskedSecret);
    }
    CHECK(revealed == nlohmann::json::parse(body));
    CHECK(body.find("SECRET") == std::string::npos);
    ++checked;
  }
  fs::remove_all(project.parent_path());
  CHECK(checked >= 4);
}

}  // namespace dlrun::run
