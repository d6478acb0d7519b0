#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "dlrun/error.hpp"

namespace dlrun {

// What a stop by SIGINT, SIGTERM or SIGHUP means, in one place: its words in messages
// ("interrupted (SIGINT)"), and its error kind, whose exit code (130, 143, 129) is dlrun's
// whether the signal came before the job started or while it ran.
struct SignalOutcome {
  std::string_view words;
  ErrorKind kind;
  int exit_code() const { return exit_code_for(kind); }
};
const SignalOutcome& signal_outcome(int signo);

// SIGINT, SIGTERM and SIGHUP delivered as readable events instead of asynchronous handlers, so the
// job loop can react with ordinary code (Engine API calls). Construct it before any thread starts:
// threads inherit the blocked mask, and the signals then reach only the descriptor.
class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  int fd() const { return fd_; }
  // The next pending signal number, if any; never blocks.
  std::optional<int> take();
  // The next signal to come within `limit`; nullopt when none came (a pause a signal ends).
  std::optional<int> wait_for(std::chrono::milliseconds limit);

 private:
  int fd_ = -1;
};

}  // namespace dlrun
