#include "dlrun/signals.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>

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

std::optional<int> SignalWatcher::wait_for(std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + limit;
  while (true) {
    if (auto signo = take()) return signo;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd ready{.fd = fd_, .events = POLLIN, .revents = 0};
    (void)poll(&ready, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
  }
}

std::optional<int> SignalWatcher::take() {
  signalfd_siginfo info{};
  const ssize_t n = read(fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace dlrun
