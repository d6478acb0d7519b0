#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

// dlrun-timeout (src/timeout/main.cpp): a job's deadline kept inside its container, so that the
// spec's timeout holds with no dlrun watching. dlrun carries the program in its own binary and
// copies it into each container that has a timeout, before the container starts.
namespace dlrun::run {

inline constexpr std::string_view kTimeoutProgramDirectory = "/.dlrun";
inline constexpr std::string_view kTimeoutProgramPath = "/.dlrun/timeout";

// The machine the program was built for, as uname -m and the daemon's Architecture say it.
std::string_view timeout_program_architecture();

// A tar archive of .dlrun/timeout (mode 0755), to unpack at / of the container.
const std::string& timeout_program_archive();

// The entrypoint that runs the job's own entrypoint under the deadline: `timeout` to the second,
// then `grace` seconds between SIGTERM and SIGKILL.
std::vector<std::string> deadline_entrypoint(std::chrono::seconds timeout, int grace_seconds,
                                             const std::vector<std::string>& image_entrypoint);

}  // namespace dlrun::run
