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

// Where dlrun keeps what it learned (a cache it may lose): $XDG_CACHE_HOME/dlrun/`name`, else
// ~/.cache/dlrun/`name`; nullopt without HOME.
std::optional<std::filesystem::path> find_cache_file(std::string_view name, const EnvLookup& env);

// Where dlrun keeps records the user needs later (submitted Slurm jobs and their output):
// $XDG_STATE_HOME/dlrun/`name`, else ~/.local/state/dlrun/`name`; nullopt without HOME.
std::optional<std::filesystem::path> find_state_dir(std::string_view name, const EnvLookup& env);

// Replaces `path` with `text` at once (a temporary beside it, then a rename): a reader never
// sees half a file, and two writers at once leave one whole file. Creates the directory.
bool write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace dlrun
