#include "dlrun/jobspec/capabilities.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace dlrun::jobspec {
namespace {

// capabilities(7), Linux 6.x.
constexpr std::array<std::string_view, 41> kCapabilities{
    "AUDIT_CONTROL",   "AUDIT_READ",   "AUDIT_WRITE",
    "BLOCK_SUSPEND",   "BPF",          "CHECKPOINT_RESTORE",
    "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH",
    "FOWNER",          "FSETID",       "IPC_LOCK",
    "IPC_OWNER",       "KILL",         "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN",    "MAC_OVERRIDE",
    "MKNOD",           "NET_ADMIN",    "NET_BIND_SERVICE",
    "NET_BROADCAST",   "NET_RAW",      "PERFMON",
    "SETFCAP",         "SETGID",       "SETPCAP",
    "SETUID",          "SYSLOG",       "SYS_ADMIN",
    "SYS_BOOT",        "SYS_CHROOT",   "SYS_MODULE",
    "SYS_NICE",        "SYS_PACCT",    "SYS_PTRACE",
    "SYS_RAWIO",       "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG",  "WAKE_ALARM"};

}  // namespace

std::span<const std::string_view> known_capabilities() {
  return kCapabilities;
}

std::optional<std::string> canonical_capability(std::string_view name) {
  std::string upper;
  for (const char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.starts_with("CAP_")) upper.erase(0, 4);
  if (upper == "ALL") return upper;
  if (std::find(kCapabilities.begin(), kCapabilities.end(), upper) == kCapabilities.end()) {
    return std::nullopt;
  }
  return upper;
}

}  // namespace dlrun::jobspec
