// The exact request dlrun sends for each example spec, checked against a readable file.
// Regenerate after an intended change: DLRUN_UPDATE_GOLDEN=1 ctest -R golden
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/run/create_request.hpp"
#include "dlrun/run/docker_command.hpp"
#include "dlrun/sha256.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

HostContext test_host(const std::string& spec_text) {
  HostContext host;
  host.uid = 1000;
  host.gid = 1000;
  host.user_name = "alice";
  host.lookup_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HF_TOKEN") return "hf_SECRET_token";
    if (name == "MY_WANDB_KEY") return "wandb_SECRET_key";
    return std::nullopt;
  };
  host.spec_digest = sha256_digest(spec_text);
  host.run_suffix = "0a1b2c";
  return host;
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
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    const std::string text = read_file(entry.path());
    // A fixed base directory keeps host paths in the goldens independent of the checkout.
    auto parsed = jobspec::parse_job_spec(text, "/project/examples", entry.path().stem().string());
    REQUIRE(parsed.has_value());
    auto plan = make_plan(*parsed, test_host(text));
    REQUIRE(plan.has_value());
    INFO(entry.path().filename().string());

    const std::string body = create_request_body(*plan, Secrets::masked, 2) + "\n";
    check_golden(goldens / (entry.path().stem().string() + ".create.json"), body);
    check_golden(goldens / (entry.path().stem().string() + ".docker.txt"),
                 docker_run_command(*plan) + "\n");

    // The revealed body differs from the printed one in the secrets' values alone: the same
    // document once each Env entry the plan marks secret is masked again.
    auto revealed = nlohmann::json::parse(create_request_body(*plan, Secrets::revealed));
    REQUIRE(revealed["Env"].size() == plan->env.size());
    for (std::size_t i = 0; i < plan->env.size(); ++i) {
      if (plan->env[i].secret)
        revealed["Env"][i] = plan->env[i].name + "=" + std::string(kMaskedSecret);
    }
    CHECK(revealed == nlohmann::json::parse(body));
    CHECK(body.find("SECRET") == std::string::npos);
    ++checked;
  }
  CHECK(checked >= 4);
}

}  // namespace dlrun::run
