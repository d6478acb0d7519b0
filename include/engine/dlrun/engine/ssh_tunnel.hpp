#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/engine/endpoint.hpp"

// The docker CLI's ssh:// transport: a connection is `ssh HOST docker system dial-stdio`, whose
// stdin and stdout carry HTTP to the remote daemon.
namespace dlrun::engine {

// The ssh command line for one connection, as the CLI's connhelper builds it.
std::vector<std::string> ssh_command(const SshTarget& target);

// Whether `ssh -G`'s effective configuration multiplexes already (ControlMaster or ControlPath
// set): then the user's master is used, and dlrun starts none.
bool multiplexes_already(std::string_view effective_config);

// One ssh master for the life of a command, where the user has none configured: one key
// exchange per command, where the docker CLI makes one per connection. It is asked first which
// daemon socket the remote CLI would use, and forwards a private local socket to it: then every
// HTTP connection is a channel of the master, and no remote process starts per connection.
// Where that socket cannot be known or forwarded (a remote context on TCP, forwarding refused by
// sshd), connections are `ssh … docker system dial-stdio` riding on the master, as before. The
// master ends with the command (ControlPersist ends it on its own if dlrun is killed); its
// socket and the forwarded one are in a private directory.
class SshMultiplexer {
 public:
  // The command's master for `target`: the one already started, else a new one, which lives
  // until the process exits. nullptr where
  // the user's ssh configuration multiplexes already, or no private directory could be made
  // (then each connection authenticates, as the CLI's do).
  static std::shared_ptr<SshMultiplexer> start(const SshTarget& target);
  ~SshMultiplexer();  // asks the master to exit, and removes its directory
  SshMultiplexer(const SshMultiplexer&) = delete;
  SshMultiplexer& operator=(const SshMultiplexer&) = delete;

  const std::string& control_path() const { return control_path_; }

  // A local socket the master forwards to the remote daemon's (the first call connects and
  // asks; a later one with `again` re-creates a master that has ended). nullopt: connect with
  // dial-stdio. An error where ssh itself could not connect, in ssh's words.
  std::expected<std::optional<std::string>, std::string> daemon_socket(bool again = false);
  // Forwarding turned out not to work (sshd refused it): dial-stdio from now on.
  void stop_forwarding();

 private:
  SshMultiplexer(SshTarget target, std::filesystem::path directory);
  std::expected<std::optional<std::string>, std::string> forward();

  SshTarget target_;
  std::filesystem::path directory_;
  std::string control_path_;
  std::mutex mutex_;
  bool forwarding_ = true;                    // until forwarding is found not to work
  std::optional<std::string> remote_socket_;  // the daemon's socket there, once known
  std::optional<std::string> local_socket_;   // forwarded to it
};

struct SshRunResult {
  int exit_code = -1;  // ssh's: the remote command's, or 255 when ssh itself failed
  std::string out;
  std::string err;
};

// Runs `remote_command` on the target's host over ssh (the same options as a connection, and
// the command's master where one is running).
SshRunResult ssh_run(const SshTarget& target, const std::vector<std::string>& remote_command);

// The connections of one curl handle through ssh. libcurl connects to a private Unix socket;
// each connection is accepted right after it is made and handed to a new ssh process as its
// stdin and stdout. The connection stays open between the handle's requests (keep-alive), as
// the docker CLI keeps its own, so a command starts a few `dial-stdio`s rather than one per
// request; one whose ssh has ended is closed by libcurl and the next request makes a new one.
// Must outlive the curl handle it is set on: libcurl closes the connection through it.
class SshConnection {
 public:
  explicit SshConnection(SshTarget target) : target_(std::move(target)) {}
  ~SshConnection();
  SshConnection(const SshConnection&) = delete;
  SshConnection& operator=(const SshConnection&) = delete;

  // Points `curl` at this connection (again after curl_easy_reset); false when no private
  // socket could be made.
  bool set_on(CURL* curl);
  // What ssh printed on stderr ("Permission denied (publickey)", …), once it has ended.
  std::string ssh_stderr() const;

 private:
  static int start_ssh(void* self, char* conn_primary_ip, char* conn_local_ip,
                       int conn_primary_port, int conn_local_port);
  static int close_socket(void* self, curl_socket_t socket);
  void stop_ssh();

  SshTarget target_;
  std::filesystem::path directory_;  // private (0700), holds the listening socket
  std::string socket_path_;
  int listener_ = -1;
  int stderr_fd_ = -1;  // a memfd holding what the current ssh says
  pid_t pid_ = -1;      // the current connection's ssh; -1 when none is open
};

}  // namespace dlrun::engine
