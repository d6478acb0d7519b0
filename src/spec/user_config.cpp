#include "dlrun/spec/user_config.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace dlrun::spec {
namespace {

std::optional<std::filesystem::path> config_path() {
  if (const char* explicit_path = std::getenv("DLRUN_CONFIG");
      explicit_path != nullptr && *explicit_path) {
    return std::filesystem::path(explicit_path);
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg) {
    return std::filesystem::path(xdg) / "dlrun" / "config.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home) {
    return std::filesystem::path(home) / ".config" / "dlrun" / "config.json";
  }
  return std::nullopt;
}

}  // namespace

Result<UserConfig> load_user_config() {
  UserConfig config;
  const auto path = config_path();
  if (!path) return config;
  std::ifstream in(*path);
  if (!in) {
    if (std::getenv("DLRUN_CONFIG") != nullptr && *std::getenv("DLRUN_CONFIG")) {
      return fail(ErrorKind::usage,
                  "DLRUN_CONFIG names " + path->string() + ", which cannot be read",
                  "fix the path or unset DLRUN_CONFIG");
    }
    return config;
  }
  const auto broken = [&](const std::string& why) {
    return fail(
        ErrorKind::usage, path->string() + ": " + why,
        "the file looks like {\"registry_mirror\": {\"docker.io\": \"mirror.example:5000\"}}");
  };
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    return broken(std::string("invalid JSON: ") + error.what());
  }
  if (!document.is_object()) return broken("expected a JSON object");
  for (const auto& [key, value] : document.items()) {
    if (key != "registry_mirror") return broken("unknown field \"" + key + "\"");
    if (!value.is_object())
      return broken("registry_mirror must be an object of registry: mirror pairs");
    for (const auto& [registry, mirror] : value.items()) {
      if (!mirror.is_string()) return broken("registry_mirror." + registry + " must be a string");
      config.registry_mirror[registry] = mirror.get<std::string>();
    }
  }
  config.file = *path;
  return config;
}

}  // namespace dlrun::spec
