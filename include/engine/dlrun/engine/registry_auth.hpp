#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"

// Registry credentials, found the way the docker CLI finds them, and encoded for the daemon.
// Nothing here logs a credential at any level.
namespace dlrun::engine {

struct RegistryCredentials {
  std::string username;
  std::string password;
  std::string identity_token;  // from a helper's "<token>" user, or config.json's identitytoken
  std::string server_address;
};

struct FoundCredentials {
  RegistryCredentials credentials;
  std::string source;  // for messages: "/home/u/.docker/config.json", "docker-credential-pass"
};

struct HelperOutput {
  int exit_code = 0;
  std::string out;
};

// Where the CLI's configuration lives and how its credential helpers run; injectable for tests.
struct DockerConfigSource {
  std::filesystem::path config_dir;            // $DOCKER_CONFIG, else ~/.docker
  std::optional<std::string> auth_config_env;  // $DOCKER_AUTH_CONFIG, which wins when set
  // Runs `docker-credential-<helper> get` with `server` on stdin.
  std::function<Result<HelperOutput>(const std::string& helper, const std::string& server)>
      run_helper;
};

DockerConfigSource docker_config_from_environment(const EnvLookup& env);

// The key the CLI files a registry's credentials under: Docker Hub's is a URL of its own.
std::string credentials_key(const std::string& registry);

// Credentials for `registry`, or nullopt for an anonymous pull. Lookup order as the CLI's:
// credHelpers[registry], then credsStore, then auths.
Result<std::optional<FoundCredentials>> find_registry_credentials(const std::string& registry,
                                                                  const DockerConfigSource& source);

// The X-Registry-Auth header value: base64url (padded) JSON, as the daemon decodes it.
std::string encode_registry_auth(const RegistryCredentials& credentials);

// The X-Registry-Config header value of a build: the same credentials, filed under the key the
// daemon's builder looks `registry` up by (credentials_key), and for no other registry.
std::string encode_registry_config(const std::string& registry,
                                   const RegistryCredentials& credentials);

}  // namespace dlrun::engine
