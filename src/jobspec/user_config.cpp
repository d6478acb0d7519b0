#include "dlrun/jobspec/user_config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::jobspec {

Result<UserConfig> load_user_config(const EnvLookup& env) {
  UserConfig config;
  const auto file = find_user_file("config.json", "DLRUN_CONFIG", env);
  if (!file) return config;
  const auto* path = &file->path;
  std::ifstream in(*path);
  if (!in) {
    if (file->named_explicitly) {
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
      if (auto problem = check_registry_mirror(registry, mirror.get<std::string>())) {
        return fail(ErrorKind::usage,
                    path->string() + ": registry_mirror." + registry + ": " + problem->message,
                    problem->hint);
      }
      config.registry_mirror[registry] = mirror.get<std::string>();
    }
  }
  config.file = *path;
  return config;
}

}  // namespace dlrun::jobspec
