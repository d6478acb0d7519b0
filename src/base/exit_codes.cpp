#include "dlrun/exit_codes.hpp"

namespace dlrun {

Ending ending_of(int exit_code, bool oom_killed, bool has_timeout) {
  if (oom_killed) return Ending::out_of_memory;
  if (has_timeout && exit_code == exit_code::timeout) return Ending::timed_out;
  if (exit_code == 0) return Ending::succeeded;
  if (exit_code == exit_code::killed) return Ending::killed;
  if (exit_code == exit_code::terminated) return Ending::stopped;
  return Ending::failed;
}

std::string_view ending_name(Ending ending) {
  switch (ending) {
    case Ending::running:
      return "running";
    case Ending::succeeded:
      return "succeeded";
    case Ending::failed:
      return "failed";
    case Ending::timed_out:
      return "timed_out";
    case Ending::out_of_memory:
      return "out_of_memory";
    case Ending::killed:
      return "killed";
    case Ending::stopped:
      return "stopped";
  }
  return "failed";
}

std::string ending_words(Ending ending, std::optional<int> exit_code) {
  switch (ending) {
    case Ending::running:
      return "running";
    case Ending::timed_out:
      return "timed out";
    case Ending::out_of_memory:
      return "out of memory";
    case Ending::killed:
      return "killed";
    case Ending::stopped:
      return "stopped";
    case Ending::succeeded:
    case Ending::failed:
      break;
  }
  return exit_code ? "exited " + std::to_string(*exit_code) : std::string("exited");
}

}  // namespace dlrun
