#include "dlrun/engine/registry_auth.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/base64.hpp"
#include "fake_env.hpp"

namespace dlrun::engine {
namespace {

namespace fs = std::filesystem;

struct ConfigDir {
  fs::path path;
  explicit ConfigDir(const std::string& config_json) {
    std::string pattern = (fs::temp_directory_path() / "dlrun-docker-config-XXXXXX").string();
    path = mkdtemp(pattern.data());
    std::ofstream(path / "config.json") << config_json;
  }
  ~ConfigDir() { fs::remove_all(path); }

  // A source whose helpers answer from a table instead of running programs.
  DockerConfigSource source(std::map<std::string, HelperOutput> helpers = {}) const {
    DockerConfigSource source;
    source.config_dir = path;
    source.run_helper = [helpers, this](const std::string& helper,
                                        const std::string& server) -> Result<HelperOutput> {
      asked.push_back(helper + " " + server);
      auto it = helpers.find(helper);
      if (it == helpers.end()) return fail(ErrorKind::usage, "no helper " + helper);
      return it->second;
    };
    return source;
  }
  mutable std::vector<std::string> asked;
};

std::string auth_of(const std::string& user, const std::string& password) {
  return base64_encode(user + ":" + password, Base64Alphabet::standard);
}

}  // namespace

TEST_CASE("base64 in both alphabets", "[engine][auth]") {
  CHECK(base64_encode("", Base64Alphabet::standard).empty());
  CHECK(base64_encode("f", Base64Alphabet::standard) == "Zg==");
  CHECK(base64_encode("fo", Base64Alphabet::standard) == "Zm8=");
  CHECK(base64_encode("foo", Base64Alphabet::standard) == "Zm9v");
  CHECK(base64_encode("\xfb\xff", Base64Alphabet::standard) == "+/8=");
  CHECK(base64_encode("\xfb\xff", Base64Alphabet::url_safe) == "-_8=");
  CHECK(base64_decode("+/8=") == "\xfb\xff");
  CHECK(base64_decode("-_8") == "\xfb\xff");
  CHECK(base64_decode("Zm9vYmFy") == "foobar");
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
}

TEST_CASE("X-Registry-Auth is base64url JSON the daemon can decode", "[engine][auth]") {
  const std::string header = encode_registry_auth({"alice", "p+/ss?", "", "127.0.0.1:5000"});
  CHECK(header.find_first_of("+/") == std::string::npos);
  const auto body = nlohmann::json::parse(*base64_decode(header));
  CHECK(body ==
        nlohmann::json::parse(
            R"({"username":"alice","password":"p+/ss?","serveraddress":"127.0.0.1:5000"})"));

  const auto token =
      nlohmann::json::parse(*base64_decode(encode_registry_auth({"", "", "tok", "nvcr.io"})));
  CHECK(token == nlohmann::json::parse(R"({"identitytoken":"tok","serveraddress":"nvcr.io"})"));
}

TEST_CASE("X-Registry-Config holds the one registry's credentials, keyed as the builder looks",
          "[engine][auth]") {
  const auto config = nlohmann::json::parse(*base64_decode(
      encode_registry_config("127.0.0.1:5000", {"alice", "p+/ss?", "", "127.0.0.1:5000"})));
  CHECK(config == nlohmann::json::parse(R"({"127.0.0.1:5000":
      {"username":"alice","password":"p+/ss?","serveraddress":"127.0.0.1:5000"}})"));
  // Docker Hub's key is the index URL, as in config.json.
  const auto hub = nlohmann::json::parse(
      *base64_decode(encode_registry_config("docker.io", {"bob", "pw", "", "docker.io"})));
  REQUIRE(hub.size() == 1);
  CHECK(hub.begin().key() == "https://index.docker.io/v1/");
}

TEST_CASE("credentials come from config.json auths, keyed as the CLI keys them", "[engine][auth]") {
  const ConfigDir config(R"({"auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                         auth_of("hubuser", "hubpass") + R"("},
      "https://nvcr.io": {"auth": ")" +
                         auth_of("$oauthtoken", "ngc-key:with:colons") + R"("},
      "ghcr.io": {"identitytoken": "gh-token"}}})");
  auto hub = find_registry_credentials("docker.io", config.source());
  REQUIRE(hub);
  REQUIRE(hub->has_value());
  CHECK((*hub)->credentials.username == "hubuser");
  CHECK((*hub)->credentials.password == "hubpass");
  CHECK((*hub)->source == (config.path / "config.json").string());

  auto ngc = find_registry_credentials("nvcr.io", config.source());
  REQUIRE(ngc->has_value());
  CHECK((*ngc)->credentials.username == "$oauthtoken");
  CHECK((*ngc)->credentials.password == "ngc-key:with:colons");

  CHECK((*find_registry_credentials("ghcr.io", config.source()))->credentials.identity_token ==
        "gh-token");
  CHECK_FALSE(find_registry_credentials("quay.io", config.source())->has_value());
}

TEST_CASE("credential helpers: per registry first, then the store", "[engine][auth]") {
  const ConfigDir config(R"({"credsStore": "desktop", "credHelpers": {"nvcr.io": "ngc"},
                            "auths": {"nvcr.io": {"auth": ")" +
                         auth_of("ignored", "x") + R"("}}})");
  const auto source = config.source({
      {"ngc", {0, R"({"ServerURL":"nvcr.io","Username":"$oauthtoken","Secret":"from-helper"})"}},
      {"desktop", {1, "credentials not found in native keychain\n"}},
  });
  auto ngc = find_registry_credentials("nvcr.io", source);
  REQUIRE(ngc->has_value());
  CHECK((*ngc)->credentials.password == "from-helper");
  CHECK((*ngc)->source == "docker-credential-ngc");

  // "not found" from the store is an anonymous pull, not an error.
  auto hub = find_registry_credentials("docker.io", source);
  REQUIRE(hub);
  CHECK_FALSE(hub->has_value());
  CHECK(config.asked.back() == "desktop https://index.docker.io/v1/");

  const auto token_source =
      config.source({{"ngc", {0, R"({"Username":"<token>","Secret":"refresh-token"})"}}});
  CHECK((*find_registry_credentials("nvcr.io", token_source))->credentials.identity_token ==
        "refresh-token");

  const auto broken = config.source({{"ngc", {3, "boom"}}});
  auto failed = find_registry_credentials("nvcr.io", broken);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message ==
        "docker-credential-ngc failed to give credentials for nvcr.io (exit 3)");
  CHECK(failed.error().hint ==
        "check the helper by hand: echo nvcr.io | docker-credential-ngc get");
}

TEST_CASE("DOCKER_AUTH_CONFIG wins over the file", "[engine][auth]") {
  const ConfigDir config(R"({"auths": {"r.example": {"auth": ")" + auth_of("file", "f") +
                         R"("}}})");
  auto source = config.source();
  source.auth_config_env =
      R"({"auths": {"r.example": {"auth": ")" + auth_of("env", "e") + R"("}}})";
  CHECK((*find_registry_credentials("r.example", source))->credentials.username == "env");
  source.auth_config_env = "{not json";
  CHECK(find_registry_credentials("r.example", source).error().message ==
        "DOCKER_AUTH_CONFIG is not valid JSON");
}

}  // namespace dlrun::engine

namespace dlrun::engine {

TEST_CASE("a credential helper can be interrupted: it does not inherit dlrun's blocked signals",
          "[engine][auth]") {
  // A helper that reports its own blocked-signal mask instead of credentials.
  const auto bin =
      std::filesystem::temp_directory_path() / ("dlrun-helper-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(bin);
  std::ofstream(bin / "docker-credential-sigmask")
      << "#!/bin/sh\ncat >/dev/null\ngrep '^SigBlk' /proc/self/status\n";
  std::filesystem::permissions(bin / "docker-credential-sigmask",
                               std::filesystem::perms::owner_all);
  const std::string path = bin.string() + ":" + std::getenv("PATH");
  const auto env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return bin.string();
    return std::nullopt;
  };

  sigset_t blocked;
  sigemptyset(&blocked);
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&blocked, signo);
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, &blocked, &before);
  auto output = [&] {
    const testing::ScopedEnv on_path("PATH", path);  // where posix_spawnp looks
    return docker_config_from_environment(env).run_helper("sigmask", "registry.example");
  }();
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  std::filesystem::remove_all(bin);

  REQUIRE(output.has_value());
  CHECK(output->exit_code == 0);
  CHECK(output->out == "SigBlk:\t0000000000000000\n");
}

// Found by tests/fuzz (registry_auth): a config.json credential that is not UTF-8 made the
// header's JSON throw during the pull; the docker CLI sends such bytes as U+FFFD.
TEST_CASE("credentials that are not UTF-8 are sent as the docker CLI sends them",
          "[engine][auth][fuzz]") {
  const ConfigDir config(R"({"auths": {"https://index.docker.io/v1/": {"auth": "/+k6cOk="}}})");
  auto hub = find_registry_credentials("docker.io", config.source());
  REQUIRE(hub);
  REQUIRE(*hub);
  CHECK((*hub)->credentials.username == "\xff\xe9");
  CHECK((*hub)->credentials.password == "p\xe9");
  const auto body =
      nlohmann::json::parse(*base64_decode(encode_registry_auth((*hub)->credentials)));
  CHECK(body["username"] == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(body["password"] == "p\xEF\xBF\xBD");
}

}  // namespace dlrun::engine
