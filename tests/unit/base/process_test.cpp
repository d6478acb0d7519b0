#include "dlrun/process.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

namespace dlrun {

TEST_CASE("a helper starts with every signal unblocked and at its default action", "[base]") {
  // As dlrun runs: SIGINT/SIGTERM/SIGHUP blocked for its signalfd, SIGPIPE ignored.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&blocked, signo);
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, &blocked, &before);
  const auto old_pipe = std::signal(SIGPIPE, SIG_IGN);

  const int out = memfd_create("status", 0);
  auto pid =
      spawn_process({"sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"}, {.stdout_fd = out});
  REQUIRE(pid.has_value());
  CHECK(wait_for_exit(*pid) == 0);
  const std::string status = read_captured(out);
  close(out);
  std::signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);

  // The masks as hex bit sets, bit N-1 for signal N; glibc's own real-time signals (32, 33) are
  // its business, the classic ones (1-31) must all be clear.
  const auto mask = [&](std::string_view name) {
    const auto at = status.find(std::string(name) + ":\t");
    REQUIRE(at != std::string::npos);
    return std::stoull(status.substr(at + name.size() + 2, 16), nullptr, 16) & 0x7FFFFFFFULL;
  };
  INFO(status);
  CHECK(mask("SigBlk") == 0);
  CHECK(mask("SigIgn") == 0);  // SIGPIPE above all: a helper writing to a closed pipe must die
}

TEST_CASE("a helper that is not on PATH is reported by its errno", "[base]") {
  auto pid = spawn_process({"dlrun-no-such-helper-anywhere"}, {});
  REQUIRE_FALSE(pid.has_value());
  CHECK(pid.error() == ENOENT);
}

TEST_CASE("a helper's exit status is the code, or 128 + the signal that ended it", "[base]") {
  auto exited = spawn_process({"sh", "-c", "exit 42"}, {});
  REQUIRE(exited.has_value());
  CHECK(wait_for_exit(*exited) == 42);
  auto killed = spawn_process({"sh", "-c", "kill -TERM $$"}, {});
  REQUIRE(killed.has_value());
  CHECK(wait_for_exit(*killed) == 128 + SIGTERM);
}

}  // namespace dlrun
