#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <string_view>

// dlrun's exit codes and how a job's exit code reads: one home for both (docs/exit-codes.md).
namespace dlrun {

// The code a shell reports for a process that a signal ended: 128 + the signal's number.
constexpr int signal_exit_code(int signal) {
  return 128 + signal;
}

// The process exit codes dlrun itself uses; anything else is the container's own code.
// Unscoped, so that each is the int a process exits with; named through the namespace.
namespace exit_code {
enum : int {
  ok = 0,
  usage = 2,                               // bad command line or job spec
  build_failed = 123,                      // the job's image could not be built
  timeout = 124,                           // the job ran past its timeout
  dlrun_failure = 125,                     // the engine or dlrun failed, not the job
  hung_up = signal_exit_code(SIGHUP),      // 129: the terminal or SSH session went away
  interrupted = signal_exit_code(SIGINT),  // 130: Ctrl-C
  killed = signal_exit_code(SIGKILL),      // 137: SIGKILL
  oom_killed = killed,                     // the kernel's OOM killer sends SIGKILL
  terminated = signal_exit_code(SIGTERM),  // 143: SIGTERM (a stop)
};
}  // namespace exit_code

// How a job ended, in one word for programs (--output json) and in ps's words for people.
// running: dlrun left it running (a detached start, a lost terminal).
enum class Ending { running, succeeded, failed, timed_out, out_of_memory, killed, stopped };
std::string_view ending_name(Ending ending);  // "timed_out"
// "exited 1", "timed out", "out of memory"… for ps's STATE column.
std::string ending_words(Ending ending, std::optional<int> exit_code);
// From the exit status alone: 124 is dlrun-timeout's only where the job had a timeout, 137 an
// OOM kill only where the daemon says so, 143 a stop (SIGTERM).
Ending ending_of(int exit_code, bool oom_killed, bool has_timeout);

}  // namespace dlrun
