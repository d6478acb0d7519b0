#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dlrun {

// Reads an environment variable; injectable so that tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process's own environment (a variable set to "" is set).
EnvLookup process_environment();

struct UserFile {
  std::filesystem::path path;
  // Named by a variable (or flag): its absence is an error, not an empty configuration.
  bool named_explicitly = false;
};

// Where dlrun's per-user file `name` is: $`variable` when set, else
// $XDG_CONFIG_HOME/dlrun/`name`, else ~/.config/dlrun/`name`; nullopt without HOME.
std::optional<UserFile> find_user_file(std::string_view name, std::string_view variable,
                                       const EnvLookup& env);

}  // namespace dlrun
