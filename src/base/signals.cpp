#include "dlrun/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace dlrun {

const SignalOutcome& signal_outcome(int signo) {
  static constexpr SignalOutcome kInterrupted{"interrupted (SIGINT)", ErrorKind::interrupted};
  static constexpr SignalOutcome kTerminated{"terminated (SIGTERM)", ErrorKind::terminated};
  // The SSH session or terminal went away.
  static constexpr SignalOutcome kHungUp{"hung up (SIGHUP)", ErrorKind::hung_up};
  if (signo == SIGTERM) return kTerminated;
  if (signo == SIGHUP) return kHungUp;
  return kInterrupted;
}

SignalWatcher::SignalWatcher() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // The SSH session or terminal went away: stop and clean up rather than die mid-run.
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

SignalWatcher::~SignalWatcher() {
  if (fd_ >= 0) close(fd_);
}

std::optional<int> SignalWatcher::take() {
  signalfd_siginfo info{};
  const ssize_t n = read(fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace dlrun
