// dlrun-timeout: the job's deadline, kept inside its container, so that a job's `timeout` holds
// with no dlrun watching (a detached job, a hung-up terminal).
//
//   /.dlrun/timeout SECONDS GRACE -- COMMAND [ARG…]
//
// Runs COMMAND; forwards the signals a stop sends to it; once SECONDS have passed, sends it
// SIGTERM, and after GRACE more seconds SIGKILL to its whole process group. Exits with COMMAND's
// status (128+N for a signal), or 124 when the deadline struck, as timeout(1) does, so that
// `dlrun wait` and `dlrun ps` can tell a timed-out job.
//
// It is linked statically and uses libc alone: it runs in images it knows nothing about (no shell,
// another libc), and dlrun copies it into each container that needs it. When it is PID 1 (the
// daemon gave no init), it also reaps the orphans that land on it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

constexpr int kTimedOut = 124;
constexpr int kUsage = 125;
constexpr int kCannotRun = 126;
constexpr int kNotFound = 127;

bool read_seconds(const char* text, unsigned* seconds) {
  char* end = nullptr;
  errno = 0;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value == 0 || value > 0xFFFFFFFFUL) return false;
  *seconds = static_cast<unsigned>(value);
  return true;
}

// "90s" as dlrun's spec would say it: "1m30s".
void format_duration(unsigned seconds, char* text, std::size_t size) {
  const unsigned hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60;
  int used = 0;
  if (hours > 0)
    used += std::snprintf(text + used, size - static_cast<std::size_t>(used), "%uh", hours);
  if (minutes > 0)
    used += std::snprintf(text + used, size - static_cast<std::size_t>(used), "%um", minutes);
  if (rest > 0 || used == 0)
    std::snprintf(text + used, size - static_cast<std::size_t>(used), "%us", rest);
}

void say(const char* message, const char* detail) {
  std::fprintf(stderr, "dlrun: %s%s\n", message, detail);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned seconds = 0;
  unsigned grace = 0;
  if (argc < 5 || std::strcmp(argv[3], "--") != 0 || !read_seconds(argv[1], &seconds) ||
      !read_seconds(argv[2], &grace)) {
    say("usage: timeout SECONDS GRACE -- COMMAND [ARG...]", "");
    return kUsage;
  }

  // Every signal of interest is taken by sigwaitinfo below, never by a handler.
  sigset_t watched;
  sigemptyset(&watched);
  for (const int signo : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM}) {
    sigaddset(&watched, signo);
  }
  sigset_t original;
  sigprocmask(SIG_BLOCK, &watched, &original);

  const pid_t child = fork();
  if (child < 0) {
    say("cannot start the job: ", std::strerror(errno));
    return kCannotRun;
  }
  if (child == 0) {
    // Its own process group, so that the final SIGKILL reaches the workers it started too.
    setpgid(0, 0);
    sigprocmask(SIG_SETMASK, &original, nullptr);
    execvp(argv[4], argv + 4);
    const int error = errno;
    std::fprintf(stderr, "dlrun: cannot run %s: %s\n", argv[4], std::strerror(error));
    _exit(error == ENOENT ? kNotFound : kCannotRun);
  }
  setpgid(child, child);  // as well, so that no signal can come before the child set it

  alarm(seconds);
  bool timed_out = false;
  while (true) {
    siginfo_t info{};
    const int signo = sigwaitinfo(&watched, &info);
    if (signo < 0) continue;  // EINTR
    if (signo == SIGCHLD) {
      int status = 0;
      pid_t reaped;
      while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
        if (reaped != child) continue;  // an orphan reaped as PID 1
        if (timed_out) return kTimedOut;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
      }
    } else if (signo == SIGALRM && !timed_out) {
      timed_out = true;
      char limit[32];
      format_duration(seconds, limit, sizeof limit);
      std::fprintf(stderr,
                   "dlrun: the job ran past its timeout of %s: stopping it (SIGTERM, then SIGKILL "
                   "after %us)\n",
                   limit, grace);
      kill(child, SIGTERM);
      alarm(grace);
    } else if (signo == SIGALRM) {
      kill(-child, SIGKILL);
      kill(child, SIGKILL);
    } else {
      kill(child, signo);  // a stop (docker stop, Ctrl-C in dlrun): the job's to handle
    }
  }
}
