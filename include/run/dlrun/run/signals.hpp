#pragma once

#include <optional>
#include <string_view>

namespace dlrun::run {

// How dlrun names a stop by signal in its messages: "interrupted (SIGINT)", "terminated
// (SIGTERM)", "hung up (SIGHUP)".
std::string_view describe_signal(int signo);

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

 private:
  int fd_ = -1;
};

}  // namespace dlrun::run
