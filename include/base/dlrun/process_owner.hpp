#pragma once

#include <filesystem>
#include <string>
#include <string_view>

// Which process owns a container: dlrun labels each of its containers with its own identity, so
// that a dlrun killed outright (SIGKILL) leaves containers that can be told from a running job's.
namespace dlrun {

// "<hostname>:<boot id>:<pid>:<start time>" for this process: on this host, enough to tell
// whether it still runs (a pid alone is reused; the start time and boot id are not).
std::string owner_of_this_process(const std::filesystem::path& proc_root = "/proc");

// gone: on this host, and that process no longer runs. elsewhere: another host's (a shared
// remote engine), or a label dlrun cannot read — never touched.
enum class OwnerState { alive, gone, elsewhere };
OwnerState owner_state(std::string_view owner, const std::filesystem::path& proc_root = "/proc");

}  // namespace dlrun
