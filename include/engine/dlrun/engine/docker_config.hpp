#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"

// The docker CLI's config.json: the one reader of it, for contexts and for credentials.
namespace dlrun::engine {

// An "auths" entry as written: base64("user:password") and/or an identity token.
struct AuthEntry {
  std::string auth;
  std::string identity_token;
};

struct DockerConfigFile {
  std::filesystem::path path;                       // where it was read from
  std::string current_context;                      // "currentContext"; empty: none
  std::map<std::string, std::string> cred_helpers;  // registry → helper suffix
  std::string creds_store;                          // the default helper suffix; empty: none
  std::map<std::string, AuthEntry> auths;           // keyed as written (hosts or URLs)
};

// Reads `dir`/config.json. No file is an empty configuration; one that is not JSON is an error.
Result<DockerConfigFile> read_docker_config(const std::filesystem::path& dir);

// The "auths" of a DOCKER_AUTH_CONFIG value ({"auths": {…}}); nullopt-like error when not JSON.
Result<std::map<std::string, AuthEntry>> parse_auth_config(std::string_view text);

// The docker CLI's configuration directory: $DOCKER_CONFIG, else ~/.docker (empty without HOME).
std::filesystem::path docker_config_dir(const EnvLookup& env = process_environment());

}  // namespace dlrun::engine
