#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::engine {

enum class EndpointKind { unix_socket, tcp, ssh };

// ssh://[user@]host[:port][/socket]: the daemon behind `ssh host docker system dial-stdio`.
struct SshTarget {
  std::string host;
  std::string user;         // empty: ssh's own default (ssh_config, the local user)
  std::string port;         // empty: ssh's own default
  std::string socket_path;  // the remote daemon's socket; empty: the remote docker's default
  // dlrun's own multiplexing socket for this command (SshMultiplexer); empty: none.
  std::string control_path;

  bool operator==(const SshTarget&) const = default;
};

// TLS to a daemon on TCP, as DOCKER_TLS_VERIFY/DOCKER_CERT_PATH or a context describe it.
struct TlsSettings {
  bool verify = true;     // check the daemon's certificate (against ca_file, else system CAs)
  std::string ca_file;    // empty: the system's CAs
  std::string cert_file;  // the client's certificate; empty: none
  std::string key_file;

  bool operator==(const TlsSettings&) const = default;
};

// Where the daemon listens, as DOCKER_HOST (or a Docker context) names it.
struct Endpoint {
  EndpointKind kind = EndpointKind::unix_socket;
  std::string socket_path;  // unix_socket
  std::string base_url;     // tcp: "http://host:port[/prefix]", https with TLS
  std::string display;      // as the user wrote it, for messages
  std::optional<TlsSettings> tls;
  SshTarget ssh;  // ssh

  bool operator==(const Endpoint&) const = default;
};

inline constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

// Parses a DOCKER_HOST value the way the docker CLI does ("unix:///p", "tcp://h:2375", "h:2375",
// "ssh://user@h:22/var/run/docker.sock").
Result<Endpoint> parse_docker_host(std::string_view value);

// The daemon as the docker CLI would find it: --context, else --host, else $DOCKER_HOST, else
// $DOCKER_CONTEXT, else the config's currentContext, else the default socket. TCP endpoints
// named by host get TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH; a context's
// come from the context's own TLS files.
Result<Endpoint> endpoint_from_environment(std::string_view host_flag,
                                           std::string_view context_flag = {},
                                           const EnvLookup& env = process_environment());

}  // namespace dlrun::engine
