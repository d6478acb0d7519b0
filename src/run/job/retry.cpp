#include "dlrun/run/job/retry.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <tuple>

namespace dlrun::run {

std::optional<std::string> retry_reason(const jobspec::RetryPolicy& policy, const JobExit& exit) {
  if (exit.detached || exit.never_started) return std::nullopt;
  switch (exit.ending) {
    case Ending::running:
    case Ending::succeeded:
    case Ending::stopped:    // the user's (or the scheduler's) stop is not a failure to undo
    case Ending::timed_out:  // its deadline would strike again
      return std::nullopt;
    case Ending::out_of_memory:
      if (policy.on_oom) return "out of memory";
      return std::nullopt;
    case Ending::failed:
    case Ending::killed:
      break;
  }
  if (!exit.gpu_failure.empty() && policy.on_gpu_error)
    return "a GPU failure (" + exit.gpu_failure + ")";
  const bool listed = std::find(policy.exit_codes.begin(), policy.exit_codes.end(),
                                exit.exit_code) != policy.exit_codes.end();
  if (listed || policy.on_any_failure) return "exit code " + std::to_string(exit.exit_code);
  return std::nullopt;
}

bool engine_went_away(const Error& error) {
  return error.kind == ErrorKind::engine_unreachable;
}

std::chrono::seconds retry_delay(const jobspec::RetryPolicy& policy, int next) {
  std::chrono::seconds delay = policy.delay;
  for (int attempt = 3; attempt <= next && delay < policy.max_delay; ++attempt) delay *= 2;
  return std::min(delay, policy.max_delay);
}

namespace {

// `text` with glob(3)'s special characters escaped: the outputs directory is a path, not a pattern.
std::string glob_escaped(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

}  // namespace

std::optional<std::string> newest_checkpoint(const std::filesystem::path& outputs,
                                             const std::string& pattern) {
  std::string directory = outputs.string();
  if (!directory.ends_with('/')) directory += '/';
  glob_t found{};
  if (glob((glob_escaped(directory) + pattern).c_str(), GLOB_NOSORT, nullptr, &found) != 0) {
    globfree(&found);
    return std::nullopt;
  }
  std::optional<std::tuple<std::int64_t, std::int64_t, std::string>> newest;
  for (std::size_t i = 0; i < found.gl_pathc; ++i) {
    struct stat info {};
    if (stat(found.gl_pathv[i], &info) != 0) continue;
    std::tuple candidate{static_cast<std::int64_t>(info.st_mtim.tv_sec),
                         static_cast<std::int64_t>(info.st_mtim.tv_nsec),
                         std::string(found.gl_pathv[i])};
    if (!newest || candidate > *newest) newest = std::move(candidate);
  }
  globfree(&found);
  if (!newest) return std::nullopt;
  return std::get<2>(*newest).substr(directory.size());
}

}  // namespace dlrun::run
