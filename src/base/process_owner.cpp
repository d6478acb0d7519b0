#include "dlrun/process_owner.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "dlrun/text.hpp"

namespace dlrun {
namespace {

std::string read_first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. The
// command name (field 2) may hold spaces and parentheses, so count from its closing ')'.
std::string start_time(const std::filesystem::path& stat_file) {
  const std::string stat = read_first_line(stat_file);
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return "";
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index == 22) return field;
  }
  return "";
}

}  // namespace

std::string owner_of_this_process(const std::filesystem::path& proc_root) {
  return host_name() + ":" + read_first_line(proc_root / "sys/kernel/random/boot_id") + ":" +
         std::to_string(getpid()) + ":" + start_time(proc_root / "self/stat");
}

OwnerState owner_state(std::string_view owner, const std::filesystem::path& proc_root) {
  const auto parts = split(owner, ':');
  int pid = 0;
  if (parts.size() != 4 || parts[1].empty() || parts[3].empty() ||
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), pid).ec != std::errc{} ||
      pid <= 0) {
    return OwnerState::elsewhere;
  }
  if (parts[0] != host_name()) return OwnerState::elsewhere;
  if (parts[1] != read_first_line(proc_root / "sys/kernel/random/boot_id"))
    return OwnerState::gone;  // the host rebooted since
  const auto stat_file = proc_root / std::to_string(pid) / "stat";
  if (!std::filesystem::exists(stat_file)) return OwnerState::gone;
  return start_time(stat_file) == parts[3] ? OwnerState::alive : OwnerState::gone;
}

}  // namespace dlrun
