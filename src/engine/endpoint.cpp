#include "dlrun/engine/endpoint.hpp"

#include <cstdlib>

namespace dlrun::engine {

Result<Endpoint> parse_docker_host(std::string_view value) {
  Endpoint endpoint;
  endpoint.display = std::string(value);
  if (value.starts_with("unix://")) {
    endpoint.kind = EndpointKind::unix_socket;
    endpoint.socket_path = std::string(value.substr(7));
    if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
      return fail(ErrorKind::usage,
                  "DOCKER_HOST \"" + std::string(value) + "\" has no absolute socket path",
                  "write it as unix:///path/to/docker.sock");
    }
    return endpoint;
  }
  std::string_view rest = value;
  if (rest.starts_with("tcp://")) {
    rest.remove_prefix(6);
  } else if (rest.find("://") != std::string_view::npos) {
    const auto scheme = std::string(value.substr(0, value.find("://")));
    return fail(ErrorKind::usage,
                "DOCKER_HOST scheme \"" + scheme + "://\" is not supported by dlrun yet",
                scheme == "ssh" ? "forward the remote socket and point DOCKER_HOST at it: "
                                  "ssh -NL /tmp/docker.sock:/var/run/docker.sock HOST & "
                                  "DOCKER_HOST=unix:///tmp/docker.sock dlrun …"
                                : "use unix:///path/to/docker.sock or tcp://host:port");
  }
  if (rest.empty()) {
    return fail(ErrorKind::usage, "DOCKER_HOST \"" + std::string(value) + "\" names no host",
                "write it as tcp://host:2375 or unix:///var/run/docker.sock");
  }
  const char* tls = std::getenv("DOCKER_TLS_VERIFY");
  if (tls != nullptr && *tls != '\0') {
    return fail(ErrorKind::usage,
                "DOCKER_TLS_VERIFY is set, but dlrun does not speak TLS to the daemon yet",
                "reach the daemon through its Unix socket, or an SSH-forwarded one");
  }
  std::string host_port(rest);
  std::string prefix;
  if (const auto slash = host_port.find('/'); slash != std::string::npos) {
    prefix = host_port.substr(slash);
    host_port.resize(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  }
  if (host_port.find(':') == std::string::npos) host_port += ":2375";
  endpoint.kind = EndpointKind::tcp;
  endpoint.base_url = "http://" + host_port + prefix;
  return endpoint;
}

Result<Endpoint> endpoint_from_environment(std::string_view host_flag) {
  if (!host_flag.empty()) return parse_docker_host(host_flag);
  const char* docker_host = std::getenv("DOCKER_HOST");
  if (docker_host != nullptr && *docker_host != '\0') return parse_docker_host(docker_host);
  return parse_docker_host(kDefaultDockerHost);
}

}  // namespace dlrun::engine
