#include "dlrun/engine/endpoint.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace dlrun::engine {

TEST_CASE("DOCKER_HOST forms", "[engine][endpoint]") {
  unsetenv("DOCKER_TLS_VERIFY");
  auto unix_socket = parse_docker_host("unix:///run/user/1000/docker.sock");
  REQUIRE(unix_socket);
  CHECK(unix_socket->kind == EndpointKind::unix_socket);
  CHECK(unix_socket->socket_path == "/run/user/1000/docker.sock");

  auto tcp = parse_docker_host("tcp://10.0.0.5:2375");
  REQUIRE(tcp);
  CHECK(tcp->base_url == "http://10.0.0.5:2375");
  CHECK(parse_docker_host("host.example")->base_url == "http://host.example:2375");
  CHECK(parse_docker_host("tcp://h:1234/prefix/")->base_url == "http://h:1234/prefix");

  auto ssh = parse_docker_host("ssh://gpu-box");
  REQUIRE_FALSE(ssh);
  CHECK(ssh.error().message == "DOCKER_HOST scheme \"ssh://\" is not supported by dlrun yet");
  CHECK(ssh.error().hint.starts_with("forward the remote socket"));

  CHECK_FALSE(parse_docker_host("unix://relative.sock"));
  CHECK_FALSE(parse_docker_host("tcp://"));
}

TEST_CASE("the host flag beats DOCKER_HOST beats the default", "[engine][endpoint]") {
  setenv("DOCKER_HOST", "unix:///from/env.sock", 1);
  CHECK(endpoint_from_environment("unix:///from/flag.sock")->socket_path == "/from/flag.sock");
  CHECK(endpoint_from_environment("")->socket_path == "/from/env.sock");
  unsetenv("DOCKER_HOST");
  CHECK(endpoint_from_environment("")->socket_path == "/var/run/docker.sock");
}

}  // namespace dlrun::engine
