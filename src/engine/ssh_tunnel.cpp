#include "dlrun/engine/ssh_tunnel.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace dlrun::engine {

namespace {

// `ssh … host`, as the CLI's connhelper starts it; the remote command follows.
std::vector<std::string> ssh_to(const SshTarget& target) {
  std::vector<std::string> command = {"ssh"};
  if (!target.user.empty()) command.insert(command.end(), {"-l", target.user});
  if (!target.port.empty()) command.insert(command.end(), {"-p", target.port});
  command.insert(command.end(), {"-o", "ConnectTimeout=30", "-T", "--", target.host});
  return command;
}

// Starts `command` with the given descriptors (stdin -1: /dev/null; stderr -1: dlrun's) in its
// own process group, so that a Ctrl-C at the terminal reaches dlrun alone: dlrun still needs
// ssh to stop and remove the job. The signals dlrun blocks are unblocked for it. Returns
// posix_spawnp's error, 0 on success.
int spawn_ssh(const std::vector<std::string>& command, int stdin_fd, int stdout_fd, int stderr_fd,
              pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  if (stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) pid = -1;
  return spawned;
}

std::string read_memfd(int fd) {
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

}  // namespace

std::vector<std::string> ssh_command(const SshTarget& target) {
  std::vector<std::string> command = ssh_to(target);
  command.push_back("docker");
  if (!target.socket_path.empty()) command.push_back("--host=unix://" + target.socket_path);
  command.insert(command.end(), {"system", "dial-stdio"});
  return command;
}

SshRunResult ssh_run(const SshTarget& target, const std::vector<std::string>& remote_command) {
  SshRunResult result;
  std::vector<std::string> command = ssh_to(target);
  command.insert(command.end(), remote_command.begin(), remote_command.end());
  const int out_fd = memfd_create("dlrun-ssh-out", MFD_CLOEXEC);
  const int err_fd = memfd_create("dlrun-ssh-err", MFD_CLOEXEC);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    result.err = "cannot capture ssh's output";
    return result;
  }
  pid_t pid = -1;
  if (const int spawned = spawn_ssh(command, -1, out_fd, err_fd, pid); spawned != 0) {
    result.err = "cannot run ssh: " + std::string(std::strerror(spawned));
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    result.out = read_memfd(out_fd);
    result.err = read_memfd(err_fd);
  }
  close(out_fd);
  close(err_fd);
  return result;
}

SshConnection::~SshConnection() {
  stop_ssh();
  if (listener_ >= 0) close(listener_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

bool SshConnection::set_on(CURL* curl) {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string pattern =
      std::string(runtime != nullptr && *runtime ? runtime : "/tmp") + "/dlrun-ssh-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return false;
  directory_ = pattern;
  socket_path_ = (directory_ / "s").string();
  listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (listener_ < 0 || socket_path_.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 1) != 0) {
    return false;
  }
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, start_ssh);
  curl_easy_setopt(curl, CURLOPT_PREREQDATA, this);
  curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
  curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, this);
  // One transfer per connection: ssh's words belong to this request, and it ends with it.
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  return true;
}

// libcurl has connected to the private socket: accept it and give it to ssh.
int SshConnection::start_ssh(void* self_ptr, char*, char*, int, int) {
  auto& self = *static_cast<SshConnection*>(self_ptr);
  const int accepted = accept4(self.listener_, nullptr, nullptr, SOCK_CLOEXEC);
  close(self.listener_);
  self.listener_ = -1;
  std::error_code ignored;
  std::filesystem::remove(self.socket_path_, ignored);
  if (accepted < 0) return CURL_PREREQFUNC_ABORT;
  self.stderr_fd_ = memfd_create("dlrun-ssh-stderr", MFD_CLOEXEC);
  const int spawned =
      spawn_ssh(ssh_command(self.target_), accepted, accepted, self.stderr_fd_, self.pid_);
  close(accepted);
  if (spawned != 0) {
    if (self.stderr_fd_ >= 0) {
      const std::string why = "cannot run ssh: " + std::string(std::strerror(spawned));
      (void)!write(self.stderr_fd_, why.data(), why.size());
    }
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

int SshConnection::close_socket(void* self_ptr, curl_socket_t socket) {
  close(socket);
  static_cast<SshConnection*>(self_ptr)->stop_ssh();
  return 0;
}

void SshConnection::stop_ssh() {
  if (pid_ <= 0) return;
  // The transfer is over (or abandoned): ssh has nothing left to carry.
  kill(pid_, SIGTERM);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string SshConnection::ssh_stderr() const {
  if (stderr_fd_ < 0) return "";
  std::string text = read_memfd(stderr_fd_);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace dlrun::engine
