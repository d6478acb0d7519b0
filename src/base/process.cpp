#include "dlrun/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dlrun/exit_codes.hpp"

extern char** environ;

namespace dlrun {

std::expected<pid_t, int> spawn_process(const std::vector<std::string>& argv, const ChildIo& io,
                                        ProcessGroup group) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (io.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, io.stdin_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (io.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, io.stdout_fd, STDOUT_FILENO);
  if (io.stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, io.stderr_fd, STDERR_FILENO);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  // Every catchable signal back to its default: ignored ones (SIGPIPE) survive exec otherwise.
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attributes, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (group == ProcessGroup::own) {
    posix_spawnattr_setpgroup(&attributes, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attributes, flags);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return std::unexpected(spawned);
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : signal_exit_code(WTERMSIG(status));
}

std::string read_captured(int fd) {
  std::string text;
  char buffer[4096];
  for (off_t offset = 0;;) {
    const ssize_t got = pread(fd, buffer, sizeof buffer, offset);
    if (got <= 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  return text;
}

CapturedRun run_captured(const std::vector<std::string>& argv, ProcessGroup group) {
  CapturedRun run;
  const int out_fd = memfd_create("dlrun-child-out", MFD_CLOEXEC);
  const int err_fd = memfd_create("dlrun-child-err", MFD_CLOEXEC);
  if (out_fd < 0 || err_fd < 0) {
    run.start_errno = errno;
  } else if (const auto pid =
                 spawn_process(argv, {.stdout_fd = out_fd, .stderr_fd = err_fd}, group);
             !pid) {
    run.start_errno = pid.error();
  } else {
    run.exit_code = wait_for_exit(*pid);
    run.out = read_captured(out_fd);
    run.err = read_captured(err_fd);
  }
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  return run;
}

}  // namespace dlrun
