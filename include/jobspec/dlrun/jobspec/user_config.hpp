#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::jobspec {

// Settings of the user or site rather than of a job (air-gapped mirrors, say).
struct UserConfig {
  std::map<std::string, std::string> registry_mirror;
  std::optional<std::filesystem::path> file;  // where it came from, if anywhere
};

// $DLRUN_CONFIG, else $XDG_CONFIG_HOME/dlrun/config.json, else ~/.config/dlrun/config.json.
// No file is an empty configuration; a broken one is an error.
Result<UserConfig> load_user_config(const EnvLookup& env);

}  // namespace dlrun::jobspec
