#include "dlrun/engine/docker_config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace dlrun::engine {
namespace {

using nlohmann::json;

std::map<std::string, AuthEntry> auths_of(const json& auths) {
  std::map<std::string, AuthEntry> entries;
  if (!auths.is_object()) return entries;
  for (const auto& [key, entry] : auths.items()) {
    if (!entry.is_object()) continue;
    AuthEntry parsed;
    if (entry.contains("auth") && entry["auth"].is_string()) parsed.auth = entry["auth"];
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
      parsed.identity_token = entry["identitytoken"];
    entries[key] = std::move(parsed);
  }
  return entries;
}

std::string string_field(const json& object, const char* name) {
  return object.contains(name) && object[name].is_string() ? object[name].get<std::string>()
                                                           : std::string();
}

}  // namespace

std::filesystem::path docker_config_dir(const EnvLookup& env) {
  if (auto dir = env("DOCKER_CONFIG"); dir && !dir->empty()) return *dir;
  auto home = env("HOME");
  return home && !home->empty() ? std::filesystem::path(*home) / ".docker"
                                : std::filesystem::path();
}

Result<DockerConfigFile> read_docker_config(const std::filesystem::path& dir) {
  DockerConfigFile config;
  config.path = dir / "config.json";
  std::ifstream in(config.path);
  if (!in) return config;
  json document;
  try {
    document = json::parse(in);
  } catch (const json::exception& error) {
    return fail(ErrorKind::usage, config.path.string() + " is not valid JSON: " + error.what(),
                "fix the file, or point DOCKER_CONFIG at another directory");
  }
  if (!document.is_object()) return config;
  config.current_context = string_field(document, "currentContext");
  config.creds_store = string_field(document, "credsStore");
  if (document.contains("credHelpers") && document["credHelpers"].is_object()) {
    for (const auto& [registry, helper] : document["credHelpers"].items()) {
      if (helper.is_string()) config.cred_helpers[registry] = helper.get<std::string>();
    }
  }
  config.auths = auths_of(document.value("auths", json::object()));
  return config;
}

Result<std::map<std::string, AuthEntry>> parse_auth_config(std::string_view text) {
  try {
    const json document = json::parse(text);
    return auths_of(document.is_object() ? document.value("auths", json::object()) : json());
  } catch (const json::exception&) {
    return fail(ErrorKind::usage, "DOCKER_AUTH_CONFIG is not valid JSON",
                "set it to {\"auths\": {\"registry\": {\"auth\": \"base64(user:password)\"}}} or "
                "unset it");
  }
}

}  // namespace dlrun::engine
