#pragma once

#include <string>
#include <string_view>

#include "dlrun/error.hpp"

namespace dlrun::engine {

enum class EndpointKind { unix_socket, tcp };

// Where the daemon listens, as DOCKER_HOST names it.
struct Endpoint {
  EndpointKind kind = EndpointKind::unix_socket;
  std::string socket_path;  // unix_socket
  std::string base_url;     // tcp: "http://host:port[/prefix]"
  std::string display;      // as the user wrote it, for messages

  bool operator==(const Endpoint&) const = default;
};

inline constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

// Parses a DOCKER_HOST value the way the docker CLI does ("unix:///p", "tcp://h:2375", "h:2375").
Result<Endpoint> parse_docker_host(std::string_view value);

// The daemon endpoint from --host, else $DOCKER_HOST, else the default socket.
Result<Endpoint> endpoint_from_environment(std::string_view host_flag);

}  // namespace dlrun::engine
