#include "dlrun/user_files.hpp"

#include <cstdlib>

namespace dlrun {

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<UserFile> find_user_file(std::string_view name, std::string_view variable,
                                       const EnvLookup& env) {
  const auto set = [&](std::string_view var) {
    auto value = env(var);
    return value && !value->empty() ? value : std::nullopt;
  };
  if (auto named = set(variable)) return UserFile{*named, true};
  if (auto xdg = set("XDG_CONFIG_HOME"))
    return UserFile{std::filesystem::path(*xdg) / "dlrun" / name, false};
  if (auto home = set("HOME"))
    return UserFile{std::filesystem::path(*home) / ".config" / "dlrun" / name, false};
  return std::nullopt;
}

}  // namespace dlrun
