#include "dlrun/engine/ssh_tunnel.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dlrun/engine/remote_daemon.hpp"
#include "dlrun/process.hpp"

namespace dlrun::engine {

namespace {

// How long a master dlrun started waits, idle, once dlrun has gone without ending it (killed).
constexpr std::string_view kMasterIdleSeconds = "60";

// A new directory only this user can enter, under $XDG_RUNTIME_DIR (else /tmp), for the
// sockets of ssh; empty when none could be made.
std::filesystem::path make_private_directory() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::string pattern =
      std::string(runtime != nullptr && *runtime ? runtime : "/tmp") + "/dlrun-ssh-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

// `ssh -l user -p port`: who and where, before the options.
std::vector<std::string> ssh_base(const SshTarget& target) {
  std::vector<std::string> command = {"ssh"};
  if (!target.user.empty()) command.insert(command.end(), {"-l", target.user});
  if (!target.port.empty()) command.insert(command.end(), {"-p", target.port});
  return command;
}

// `ssh … host`, as the CLI's connhelper starts it; the remote command follows.
std::vector<std::string> ssh_to(const SshTarget& target) {
  std::vector<std::string> command = ssh_base(target);
  if (!target.control_path.empty()) {
    command.insert(command.end(),
                   {"-o", "ControlMaster=auto", "-o", "ControlPath=" + target.control_path, "-o",
                    "ControlPersist=" + std::string(kMasterIdleSeconds)});
  }
  command.insert(command.end(), {"-o", "ConnectTimeout=30", "-T", "--", target.host});
  return command;
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
  SshTarget through_master = target;
  if (through_master.control_path.empty()) {
    if (const auto master = SshMultiplexer::start(target)) {
      through_master.control_path = master->control_path();
    }
  }
  std::vector<std::string> command = ssh_to(through_master);
  command.insert(command.end(), remote_command.begin(), remote_command.end());
  CapturedRun ran = run_captured(command, ProcessGroup::own);
  SshRunResult result;
  if (ran.exit_code < 0) {
    result.err = "cannot run ssh: " + std::string(std::strerror(ran.start_errno));
    return result;
  }
  result.exit_code = ran.exit_code;
  result.out = std::move(ran.out);
  result.err = std::move(ran.err);
  return result;
}

bool multiplexes_already(std::string_view effective_config) {
  bool master = false;
  bool path = false;
  while (!effective_config.empty()) {
    const auto end = effective_config.find('\n');
    const std::string_view line = effective_config.substr(0, end);
    if (line.starts_with("controlmaster ")) master = line.substr(14) != "false";
    if (line.starts_with("controlpath ")) path = line.substr(12) != "none";
    if (end == std::string_view::npos) break;
    effective_config.remove_prefix(end + 1);
  }
  return master || path;
}

namespace {

// The masters this process has started: every transport to a host and ssh_run share its one,
// and it lives as long as the command (asked to exit when the process does).
std::mutex masters_mutex;
std::vector<std::shared_ptr<SshMultiplexer>> masters;

bool same_login(const SshTarget& one, const SshTarget& other) {
  return one.host == other.host && one.user == other.user && one.port == other.port &&
         one.socket_path == other.socket_path;
}

}  // namespace

std::shared_ptr<SshMultiplexer> SshMultiplexer::start(const SshTarget& target) {
  const std::lock_guard lock(masters_mutex);
  for (const auto& master : masters) {
    if (same_login(master->target_, target)) return master;
  }
  std::vector<std::string> query = ssh_base(target);
  query.insert(query.end(), {"-G", "--", target.host});
  const CapturedRun config = run_captured(query, ProcessGroup::own);
  // An ssh that cannot say its configuration is left to fail as it will, on the connection.
  if (config.exit_code != 0 || multiplexes_already(config.out)) return nullptr;
  std::filesystem::path directory = make_private_directory();
  if (directory.empty()) return nullptr;
  std::shared_ptr<SshMultiplexer> master(new SshMultiplexer(target, std::move(directory)));
  masters.push_back(master);
  return master;
}

SshMultiplexer::SshMultiplexer(SshTarget target, std::filesystem::path directory)
    : target_(std::move(target)),
      directory_(std::move(directory)),
      // %C: a hash of the connection's host, port and user, short enough for a socket's path.
      control_path_((directory_ / "%C").string()) {}

SshMultiplexer::~SshMultiplexer() {
  // Without a master (no connection was made) ssh says so and exits: nothing to wait for.
  std::vector<std::string> exit = ssh_base(target_);
  exit.insert(exit.end(), {"-o", "ControlPath=" + control_path_, "-O", "exit", "--", target_.host});
  (void)run_captured(exit, ProcessGroup::own);
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::expected<std::optional<std::string>, std::string> SshMultiplexer::daemon_socket(bool again) {
  const std::lock_guard lock(mutex_);
  if (!forwarding_) return std::nullopt;
  if (local_socket_ && !again) return local_socket_;
  return forward();
}

void SshMultiplexer::stop_forwarding() {
  const std::lock_guard lock(mutex_);
  forwarding_ = false;
}

std::expected<std::optional<std::string>, std::string> SshMultiplexer::forward() {
  local_socket_.reset();
  SshTarget through_master = target_;
  through_master.control_path = control_path_;
  // The first session starts the master; it also says where the remote CLI's daemon listens,
  // which an ssh:// address with a socket path has said already.
  std::vector<std::string> query = ssh_to(through_master);
  query.push_back(remote_daemon_query());
  const CapturedRun asked = run_captured(query, ProcessGroup::own);
  if (asked.exit_code < 0) {
    return std::unexpected("cannot run ssh: " + std::string(std::strerror(asked.start_errno)));
  }
  if (asked.exit_code == 255) {
    std::string said = asked.err;
    while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) said.pop_back();
    return std::unexpected(said.empty() ? "ssh exited with 255" : said);
  }
  if (!target_.socket_path.empty()) {
    remote_socket_ = target_.socket_path;
  } else if (asked.exit_code == 0) {
    remote_socket_ = remote_daemon_socket(asked.out);
  }
  if (!remote_socket_) {
    forwarding_ = false;
    return std::nullopt;
  }
  const std::string local = (directory_ / "docker.sock").string();
  std::error_code ignored;
  std::filesystem::remove(local, ignored);  // left by a master that has ended
  std::vector<std::string> command = ssh_base(target_);
  command.insert(command.end(), {"-o", "ControlPath=" + control_path_, "-O", "forward", "-L",
                                 local + ":" + *remote_socket_, "--", target_.host});
  if (run_captured(command, ProcessGroup::own).exit_code != 0) {
    forwarding_ = false;
    return std::nullopt;
  }
  local_socket_ = local;
  return local_socket_;
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
  if (listener_ < 0) {
    directory_ = make_private_directory();
    if (directory_.empty()) return false;
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
  }
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, start_ssh);
  curl_easy_setopt(curl, CURLOPT_PREREQDATA, this);
  curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
  curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, this);
  return true;
}

// libcurl is about to send a request: on a new connection to the private socket, accept it and
// give it to a new ssh; on a kept one, its ssh carries on.
int SshConnection::start_ssh(void* self_ptr, char*, char*, int, int) {
  auto& self = *static_cast<SshConnection*>(self_ptr);
  if (self.pid_ > 0) return CURL_PREREQFUNC_OK;
  const int accepted = accept4(self.listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (accepted < 0) return CURL_PREREQFUNC_ABORT;
  if (self.stderr_fd_ >= 0) close(self.stderr_fd_);
  self.stderr_fd_ = memfd_create("dlrun-ssh-stderr", MFD_CLOEXEC);
  const auto pid =
      spawn_process(ssh_command(self.target_),
                    {.stdin_fd = accepted, .stdout_fd = accepted, .stderr_fd = self.stderr_fd_},
                    ProcessGroup::own);
  close(accepted);
  self.pid_ = pid.value_or(-1);
  if (!pid) {
    if (self.stderr_fd_ >= 0) {
      const std::string why = "cannot run ssh: " + std::string(std::strerror(pid.error()));
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
  std::string text = read_captured(stderr_fd_);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace dlrun::engine
