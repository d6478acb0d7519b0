#include "dlrun/run/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace dlrun::run {

std::string_view describe_signal(int signo) {
  if (signo == SIGTERM) return "terminated (SIGTERM)";
  if (signo == SIGHUP) return "hung up (SIGHUP)";
  return "interrupted (SIGINT)";
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

}  // namespace dlrun::run
