#pragma once

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

// Helper processes (credential helpers, ssh): one way to start them.
namespace dlrun {

// The child's standard descriptors. stdin -1: /dev/null; stdout or stderr -1: dlrun's own.
struct ChildIo {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// own: a Ctrl-C at the terminal reaches dlrun alone, which still needs the child (an ssh
// tunnel) to stop and remove the job.
enum class ProcessGroup { shared, own };

// Starts argv[0], searched on PATH. dlrun blocks SIGINT, SIGTERM and SIGHUP (it reads them from
// a signalfd) and ignores SIGPIPE; the child gets every signal unblocked and at its default
// action, so that it can be interrupted like any program. Returns the pid, or the errno that
// kept it from starting.
std::expected<pid_t, int> spawn_process(const std::vector<std::string>& argv, const ChildIo& io,
                                        ProcessGroup group = ProcessGroup::shared);

// Waits for `pid` and returns its status as a shell reports it: the exit code, or 128 + signal.
int wait_for_exit(pid_t pid);

// Everything written to `fd` (a memfd or file a child's output went to), from its start.
std::string read_captured(int fd);

// A helper program run to its end, its output kept.
struct CapturedRun {
  int exit_code = -1;   // as wait_for_exit gives it; -1 when it could not start
  int start_errno = 0;  // why it could not start (ENOENT: not on PATH)
  std::string out;
  std::string err;
};

// Runs argv (searched on PATH) to its end with stdin from /dev/null, capturing stdout and stderr.
CapturedRun run_captured(const std::vector<std::string>& argv,
                         ProcessGroup group = ProcessGroup::shared);

}  // namespace dlrun
