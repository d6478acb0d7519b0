#include "dlrun/engine/registry_auth.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/base64.hpp"
#include "dlrun/engine/endpoint.hpp"

extern char** environ;

namespace dlrun::engine {
namespace {

using nlohmann::json;

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

// "https://nvcr.io/v2/" → "nvcr.io": config files written by older tools key by URL.
std::string host_of(std::string key) {
  if (const auto scheme = key.find("://"); scheme != std::string::npos)
    key = key.substr(scheme + 3);
  if (const auto slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  return key;
}

Result<HelperOutput> run_credential_helper(const std::string& helper, const std::string& server) {
  const std::string program = "docker-credential-" + helper;
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return fail(ErrorKind::io, "cannot start " + program + ": out of file descriptors");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>("get"), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    return fail(ErrorKind::usage,
                "the Docker config names credential helper " + program + ", which is not on PATH",
                "install it, or remove \"credsStore\"/\"credHelpers\" from the Docker config");
  }
  [[maybe_unused]] const auto written = write(in[1], server.data(), server.size());
  close(in[1]);
  HelperOutput result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof buffer)) > 0)
    result.out.append(buffer, static_cast<std::size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<std::optional<FoundCredentials>> from_helper(const std::string& helper,
                                                    const std::string& key,
                                                    const std::string& registry,
                                                    const DockerConfigSource& source) {
  const std::string program = "docker-credential-" + helper;
  auto output = source.run_helper(helper, key);
  if (!output) return std::unexpected(output.error());
  if (output->exit_code != 0) {
    // The protocol's "not found" means: pull anonymously.
    if (output->out.find("credentials not found") != std::string::npos) return std::nullopt;
    return fail(ErrorKind::engine_permission,
                program + " failed to give credentials for " + registry + " (exit " +
                    std::to_string(output->exit_code) + ")",
                "check the helper by hand: echo " + key + " | " + program + " get");
  }
  try {
    const json answer = json::parse(output->out);
    FoundCredentials found;
    found.source = program;
    found.credentials.server_address = registry;
    const std::string username = answer.value("Username", "");
    const std::string secret = answer.value("Secret", "");
    // A helper that answers the user "<token>" hands out an identity token, not a password.
    if (username == "<token>") {
      found.credentials.identity_token = secret;
    } else {
      found.credentials.username = username;
      found.credentials.password = secret;
    }
    return found;
  } catch (const json::exception&) {
    return fail(ErrorKind::engine_permission, program + " answered with something other than JSON",
                "check the helper by hand: echo " + key + " | " + program + " get");
  }
}

std::optional<FoundCredentials> from_auths(const json& auths, const std::string& key,
                                           const std::string& registry,
                                           const std::string& source_name) {
  if (!auths.is_object()) return std::nullopt;
  for (const auto& [entry_key, entry] : auths.items()) {
    if (entry_key != key && host_of(entry_key) != registry) continue;
    if (!entry.is_object()) continue;
    FoundCredentials found;
    found.source = source_name;
    found.credentials.server_address = registry;
    if (entry.contains("auth") && entry["auth"].is_string()) {
      const auto decoded = base64_decode(entry["auth"].get<std::string>());
      if (decoded) {
        const auto colon = decoded->find(':');
        found.credentials.username = decoded->substr(0, colon);
        if (colon != std::string::npos) found.credentials.password = decoded->substr(colon + 1);
      }
    }
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) {
      found.credentials.identity_token = entry["identitytoken"].get<std::string>();
    }
    if (found.credentials.username.empty() && found.credentials.identity_token.empty()) continue;
    return found;
  }
  return std::nullopt;
}

}  // namespace

DockerConfigSource docker_config_from_environment() {
  DockerConfigSource source;
  source.config_dir = docker_config_dir();
  if (const char* inline_config = std::getenv("DOCKER_AUTH_CONFIG");
      inline_config != nullptr && *inline_config) {
    source.auth_config_env = inline_config;
  }
  source.run_helper = run_credential_helper;
  return source;
}

std::string credentials_key(const std::string& registry) {
  return registry == "docker.io" ? std::string(kDockerHubKey) : registry;
}

Result<std::optional<FoundCredentials>> find_registry_credentials(
    const std::string& registry, const DockerConfigSource& source) {
  const std::string key = credentials_key(registry);
  if (source.auth_config_env) {
    try {
      const json inline_config = json::parse(*source.auth_config_env);
      if (auto found = from_auths(inline_config.value("auths", json::object()), key, registry,
                                  "DOCKER_AUTH_CONFIG")) {
        return found;
      }
    } catch (const json::exception&) {
      return fail(ErrorKind::usage, "DOCKER_AUTH_CONFIG is not valid JSON",
                  "set it to {\"auths\": {\"registry\": {\"auth\": \"base64(user:password)\"}}} or "
                  "unset it");
    }
  }
  const auto path = source.config_dir / "config.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json config;
  try {
    config = json::parse(in);
  } catch (const json::exception& error) {
    return fail(ErrorKind::usage, path.string() + " is not valid JSON: " + error.what(),
                "fix the file, or point DOCKER_CONFIG at another directory");
  }
  if (config.contains("credHelpers") && config["credHelpers"].is_object()) {
    for (const auto& [helper_key, helper] : config["credHelpers"].items()) {
      if ((helper_key == key || host_of(helper_key) == registry) && helper.is_string()) {
        return from_helper(helper.get<std::string>(), key, registry, source);
      }
    }
  }
  if (config.contains("credsStore") && config["credsStore"].is_string() &&
      !config["credsStore"].get<std::string>().empty()) {
    return from_helper(config["credsStore"].get<std::string>(), key, registry, source);
  }
  return from_auths(config.value("auths", json::object()), key, registry, path.string());
}

std::string encode_registry_auth(const RegistryCredentials& credentials) {
  json body = json::object();
  if (!credentials.identity_token.empty()) {
    body["identitytoken"] = credentials.identity_token;
  } else {
    body["username"] = credentials.username;
    body["password"] = credentials.password;
  }
  body["serveraddress"] = credentials.server_address;
  // The daemon silently pulls anonymously when it cannot decode this, so it must be exactly
  // base64url with padding.
  return base64_encode(body.dump(), Base64Alphabet::url_safe);
}

}  // namespace dlrun::engine
