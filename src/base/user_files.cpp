#include "dlrun/user_files.hpp"

#include <unistd.h>

#include <cstdio>
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

std::optional<std::filesystem::path> find_cache_file(std::string_view name, const EnvLookup& env) {
  if (auto xdg = env("XDG_CACHE_HOME"); xdg && !xdg->empty())
    return std::filesystem::path(*xdg) / "dlrun" / name;
  if (auto home = env("HOME"); home && !home->empty())
    return std::filesystem::path(*home) / ".cache" / "dlrun" / name;
  return std::nullopt;
}

std::optional<std::filesystem::path> find_state_dir(std::string_view name, const EnvLookup& env) {
  if (auto xdg = env("XDG_STATE_HOME"); xdg && !xdg->empty())
    return std::filesystem::path(*xdg) / "dlrun" / name;
  if (auto home = env("HOME"); home && !home->empty())
    return std::filesystem::path(*home) / ".local" / "state" / "dlrun" / name;
  return std::nullopt;
}

bool write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::string temporary = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX"));
  const int fd = mkstemp(temporary.data());
  if (fd < 0) return false;
  bool written = true;
  for (std::string_view rest = text; !rest.empty() && written;) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    written = n > 0;
    if (written) rest.remove_prefix(static_cast<std::size_t>(n));
  }
  written = ::close(fd) == 0 && written;
  if (written && std::rename(temporary.c_str(), path.c_str()) == 0) return true;
  std::filesystem::remove(temporary, ec);
  return false;
}

}  // namespace dlrun
