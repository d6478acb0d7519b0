#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
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

// One ssh master for the life of a command, where the user has none configured. Every request
// is a connection of its own (`ssh … docker system dial-stdio`); without a master each would
// make its own key exchange, where the docker CLI makes one per command. The first connection
// becomes the master (ControlMaster=auto; ControlPersist keeps it in the background, and ends
// it on its own if dlrun is killed); the rest ride on it. Its socket is in a private directory.
class SshMultiplexer {
 public:
  // nullptr where the user's ssh configuration multiplexes already, or no private directory
  // could be made (then each connection authenticates, as before).
  static std::unique_ptr<SshMultiplexer> start(const SshTarget& target);
  ~SshMultiplexer();  // asks the master to exit, and removes its directory
  SshMultiplexer(const SshMultiplexer&) = delete;
  SshMultiplexer& operator=(const SshMultiplexer&) = delete;

  const std::string& control_path() const { return control_path_; }

 private:
  SshMultiplexer(SshTarget target, std::filesystem::path directory);

  SshTarget target_;
  std::filesystem::path directory_;
  std::string control_path_;
};

struct SshRunResult {
  int exit_code = -1;  // ssh's: the remote command's, or 255 when ssh itself failed
  std::string out;
  std::string err;
};

// Runs `remote_command` on the target's host over ssh (the same options as a connection).
SshRunResult ssh_run(const SshTarget& target, const std::vector<std::string>& remote_command);

// One HTTP connection through ssh. libcurl connects to a private Unix socket that is accepted
// once, right after connecting, and handed to a new ssh process as its stdin and stdout; the
// connection is closed when the transfer ends. Must outlive the curl handle it is set on.
class SshConnection {
 public:
  explicit SshConnection(SshTarget target) : target_(std::move(target)) {}
  ~SshConnection();
  SshConnection(const SshConnection&) = delete;
  SshConnection& operator=(const SshConnection&) = delete;

  // Points `curl` at this connection; false when no private socket could be made.
  bool set_on(CURL* curl);
  // What ssh printed on stderr ("Permission denied (publickey)", …), once it has ended.
  std::string ssh_stderr() const;

 private:
  static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int start_ssh(void* self, char* conn_primary_ip, char* conn_local_ip,
                       int conn_primary_port, int conn_local_port);
  static int close_socket(void* self, curl_socket_t socket);
  void stop_ssh();

  SshTarget target_;
  std::filesystem::path directory_;  // private (0700), holds the socket until it is accepted
  std::string socket_path_;
  int listener_ = -1;
  int stderr_fd_ = -1;  // a memfd holding what ssh says
  pid_t pid_ = -1;
};

}  // namespace dlrun::engine
