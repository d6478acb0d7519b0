#include "dlrun/engine/endpoint.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dlrun/engine/ssh_tunnel.hpp"
#include "dlrun/sha256.hpp"
#include "fake_env.hpp"

namespace dlrun::engine {

TEST_CASE("DOCKER_HOST forms", "[engine][endpoint]") {
  auto unix_socket = parse_docker_host("unix:///run/user/1000/docker.sock");
  REQUIRE(unix_socket);
  CHECK(unix_socket->kind == EndpointKind::unix_socket);
  CHECK(unix_socket->socket_path == "/run/user/1000/docker.sock");

  auto tcp = parse_docker_host("tcp://10.0.0.5:2375");
  REQUIRE(tcp);
  CHECK(tcp->base_url == "http://10.0.0.5:2375");
  CHECK(parse_docker_host("host.example")->base_url == "http://host.example:2375");
  CHECK(parse_docker_host("tcp://h:1234/prefix/")->base_url == "http://h:1234/prefix");

  auto ssh = parse_docker_host("ssh://ml@gpu-box:2222/run/docker.sock");
  REQUIRE(ssh);
  CHECK(ssh->kind == EndpointKind::ssh);
  CHECK(ssh->ssh == SshTarget{"gpu-box", "ml", "2222", "/run/docker.sock"});
  CHECK(parse_docker_host("ssh://gpu-box")->ssh == SshTarget{"gpu-box", "", "", ""});
  CHECK_FALSE(parse_docker_host("ssh://"));
  CHECK_FALSE(parse_docker_host("ssh://-oProxyCommand=evil"));  // never an ssh option
  CHECK_FALSE(parse_docker_host("ssh://gpu-box:port"));
  auto npipe = parse_docker_host("npipe:////./pipe/docker_engine");
  REQUIRE_FALSE(npipe);
  CHECK(npipe.error().message == "DOCKER_HOST scheme \"npipe://\" is not supported by dlrun");

  CHECK_FALSE(parse_docker_host("unix://relative.sock"));
  CHECK_FALSE(parse_docker_host("tcp://"));
}

TEST_CASE("the host flag beats DOCKER_HOST beats the default", "[engine][endpoint]") {
  testing::FakeEnv env{{{"DOCKER_HOST", "unix:///from/env.sock"}, {"HOME", "/nonexistent"}}};
  CHECK(endpoint_from_environment("unix:///from/flag.sock", "", env.lookup())->socket_path ==
        "/from/flag.sock");
  CHECK(endpoint_from_environment("", "", env.lookup())->socket_path == "/from/env.sock");
  env.vars.erase("DOCKER_HOST");
  CHECK(endpoint_from_environment("", "", env.lookup())->socket_path == "/var/run/docker.sock");
}

}  // namespace dlrun::engine

namespace dlrun::engine {
namespace {

namespace fs = std::filesystem;

// A scratch docker CLI configuration directory, and the environment pointed at it.
struct DockerConfig {
  fs::path dir = fs::temp_directory_path() / ("dlrun-docker-config-" + std::to_string(getpid()));
  testing::FakeEnv env{{{"DOCKER_CONFIG", dir.string()}}};
  DockerConfig() { fs::create_directories(dir); }
  ~DockerConfig() { fs::remove_all(dir); }
  // sha256("remote") is the directory the docker CLI files a context named "remote" under.
  void context(const std::string& name, const std::string& key, const std::string& host,
               bool skip_verify, bool tls_files) const {
    fs::create_directories(dir / "contexts/meta" / key);
    std::ofstream(dir / "contexts/meta" / key / "meta.json")
        << R"({"Name":")" << name << R"(","Endpoints":{"docker":{"Host":")" << host
        << R"(","SkipTLSVerify":)" << (skip_verify ? "true" : "false") << "}}}";
    if (tls_files) {
      fs::create_directories(dir / "contexts/tls" / key / "docker");
      for (const char* file : {"ca.pem", "cert.pem", "key.pem"})
        std::ofstream(dir / "contexts/tls" / key / "docker" / file) << "pem";
    }
  }
  void current(const std::string& name) const {
    std::ofstream(dir / "config.json") << R"({"currentContext":")" << name << R"("})";
  }
};

constexpr const char* kRemoteKey =
    "b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a";  // sha256("remote")

}  // namespace

TEST_CASE("TLS to a daemon on TCP, as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH ask",
          "[engine][endpoint]") {
  DockerConfig config;
  for (const char* file : {"ca.pem", "cert.pem"}) std::ofstream(config.dir / file) << "pem";
  config.env.vars["DOCKER_TLS_VERIFY"] = "0";  // any non-empty value verifies, as in the CLI
  auto tls = endpoint_from_environment("tcp://gpu-box:2376", "", config.env.lookup());
  REQUIRE(tls);
  CHECK(tls->base_url == "https://gpu-box:2376");
  REQUIRE(tls->tls);
  CHECK(tls->tls->verify);
  CHECK(tls->tls->ca_file == (config.dir / "ca.pem").string());  // ~/.docker by default
  CHECK(tls->tls->cert_file == (config.dir / "cert.pem").string());
  CHECK(tls->tls->key_file.empty());  // not there: left out
  // Over the Unix socket there is no TLS.
  CHECK_FALSE(
      endpoint_from_environment("unix:///var/run/docker.sock", "", config.env.lookup())->tls);

  config.env.vars.erase("DOCKER_TLS_VERIFY");
  config.env.vars["DOCKER_TLS"] = "1";
  config.env.vars["DOCKER_CERT_PATH"] = "/certs";
  auto unverified = endpoint_from_environment("tcp://gpu-box:2376", "", config.env.lookup());
  CHECK_FALSE(unverified->tls->verify);
  CHECK(unverified->tls->ca_file.empty());
  config.env.vars.erase("DOCKER_TLS");
  config.env.vars.erase("DOCKER_CERT_PATH");
  CHECK_FALSE(endpoint_from_environment("tcp://gpu-box:2375", "", config.env.lookup())->tls);
}

TEST_CASE("contexts, as the docker CLI chooses and files them", "[engine][endpoint]") {
  DockerConfig config;
  config.context("remote", kRemoteKey, "tcp://10.0.0.5:2376", false, true);
  config.current("remote");

  // The current context, with its TLS files.
  auto current = endpoint_from_environment("", "", config.env.lookup());
  REQUIRE(current);
  CHECK(current->base_url == "https://10.0.0.5:2376");
  CHECK(current->display == "tcp://10.0.0.5:2376 (Docker context remote)");
  CHECK(current->tls->verify);
  CHECK(current->tls->cert_file ==
        (config.dir / "contexts/tls" / kRemoteKey / "docker/cert.pem").string());

  // DOCKER_HOST beats DOCKER_CONTEXT, which beats the current context; flags beat both.
  config.env.vars["DOCKER_CONTEXT"] = "default";
  CHECK(endpoint_from_environment("", "", config.env.lookup())->socket_path ==
        "/var/run/docker.sock");
  config.env.vars["DOCKER_HOST"] = "unix:///env.sock";
  config.env.vars["DOCKER_CONTEXT"] = "remote";
  CHECK(endpoint_from_environment("", "", config.env.lookup())->socket_path == "/env.sock");
  CHECK(endpoint_from_environment("", "remote", config.env.lookup())->base_url ==
        "https://10.0.0.5:2376");
  CHECK(endpoint_from_environment("", "default", config.env.lookup())->socket_path == "/env.sock");
  config.env.vars.erase("DOCKER_HOST");
  CHECK(endpoint_from_environment("", "", config.env.lookup())->base_url ==
        "https://10.0.0.5:2376");
  auto both = endpoint_from_environment("unix:///x.sock", "remote", config.env.lookup());
  REQUIRE_FALSE(both);
  CHECK(both.error().message == "--host and --context both name the Docker daemon");

  // SkipTLSVerify without TLS files: encrypted, not verified.
  const std::string insecure_key = sha256_digest("insecure").substr(7);
  config.context("insecure", insecure_key, "tcp://10.0.0.6:2376", true, false);
  auto insecure = endpoint_from_environment("", "insecure", config.env.lookup());
  REQUIRE(insecure->tls);
  CHECK_FALSE(insecure->tls->verify);

  auto missing = endpoint_from_environment("", "nowhere", config.env.lookup());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.starts_with(
      "Docker context \"nowhere\" (--context) does not exist: no "));
  CHECK(missing.error().hint.starts_with("`docker context ls` lists the contexts"));
  config.env.vars.erase("DOCKER_CONTEXT");
}

}  // namespace dlrun::engine

namespace dlrun::engine {

TEST_CASE("ssh runs the remote docker's dial-stdio, as the docker CLI does", "[engine][endpoint]") {
  using Args = std::vector<std::string>;
  CHECK(ssh_command({"gpu-box", "", "", ""}) == Args{"ssh", "-o", "ConnectTimeout=30", "-T", "--",
                                                     "gpu-box", "docker", "system", "dial-stdio"});
  CHECK(ssh_command({"gpu-box", "ml", "2222", "/run/docker.sock"}) ==
        Args{"ssh", "-l", "ml", "-p", "2222", "-o", "ConnectTimeout=30", "-T", "--", "gpu-box",
             "docker", "--host=unix:///run/docker.sock", "system", "dial-stdio"});
}

}  // namespace dlrun::engine
