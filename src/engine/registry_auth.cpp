#include "dlrun/engine/registry_auth.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dlrun/base64.hpp"
#include "dlrun/engine/docker_config.hpp"
#include "dlrun/process.hpp"

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
  const auto pid = spawn_process({program, "get"}, {.stdin_fd = in[0], .stdout_fd = out[1]});
  close(in[0]);
  close(out[1]);
  if (!pid) {
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
  result.exit_code = wait_for_exit(*pid);
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

std::optional<FoundCredentials> from_auths(const std::map<std::string, AuthEntry>& auths,
                                           const std::string& key, const std::string& registry,
                                           const std::string& source_name) {
  for (const auto& [entry_key, entry] : auths) {
    if (entry_key != key && host_of(entry_key) != registry) continue;
    FoundCredentials found;
    found.source = source_name;
    found.credentials.server_address = registry;
    if (const auto decoded = base64_decode(entry.auth); decoded && !entry.auth.empty()) {
      const auto colon = decoded->find(':');
      found.credentials.username = decoded->substr(0, colon);
      if (colon != std::string::npos) found.credentials.password = decoded->substr(colon + 1);
    }
    found.credentials.identity_token = entry.identity_token;
    if (found.credentials.username.empty() && found.credentials.identity_token.empty()) continue;
    return found;
  }
  return std::nullopt;
}

}  // namespace

DockerConfigSource docker_config_from_environment(const EnvLookup& env) {
  DockerConfigSource source;
  source.config_dir = docker_config_dir(env);
  if (auto inline_config = env("DOCKER_AUTH_CONFIG"); inline_config && !inline_config->empty()) {
    source.auth_config_env = std::move(inline_config);
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
    auto inline_auths = parse_auth_config(*source.auth_config_env);
    if (!inline_auths) return std::unexpected(inline_auths.error());
    if (auto found = from_auths(*inline_auths, key, registry, "DOCKER_AUTH_CONFIG")) return found;
  }
  auto config = read_docker_config(source.config_dir);
  if (!config) return std::unexpected(config.error());
  for (const auto& [helper_key, helper] : config->cred_helpers) {
    if (helper_key == key || host_of(helper_key) == registry) {
      return from_helper(helper, key, registry, source);
    }
  }
  if (!config->creds_store.empty()) return from_helper(config->creds_store, key, registry, source);
  return from_auths(config->auths, key, registry, config->path.string());
}

namespace {

json auth_config(const RegistryCredentials& credentials) {
  json body = json::object();
  if (!credentials.identity_token.empty()) {
    body["identitytoken"] = credentials.identity_token;
  } else {
    body["username"] = credentials.username;
    body["password"] = credentials.password;
  }
  body["serveraddress"] = credentials.server_address;
  return body;
}

// The daemon silently goes anonymous when it cannot decode a header, so it must be exactly
// base64url with padding. A credential decoded from config.json need not be UTF-8: as the docker
// CLI (Go's encoding/json) does, such bytes go as U+FFFD rather than failing the pull.
std::string header_value(const json& body) {
  return base64_encode(body.dump(-1, ' ', false, json::error_handler_t::replace),
                       Base64Alphabet::url_safe);
}

}  // namespace

std::string encode_registry_auth(const RegistryCredentials& credentials) {
  return header_value(auth_config(credentials));
}

std::string encode_registry_config(const std::string& registry,
                                   const RegistryCredentials& credentials) {
  return header_value({{credentials_key(registry), auth_config(credentials)}});
}

}  // namespace dlrun::engine
