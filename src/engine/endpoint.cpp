#include "dlrun/engine/endpoint.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/engine/docker_config.hpp"
#include "dlrun/sha256.hpp"

namespace dlrun::engine {
namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const EnvLookup& env, const char* name) {
  return env(name).value_or("");
}

// ca.pem, cert.pem and key.pem in `dir`; like the CLI, a file that is not there is left out.
TlsSettings tls_files_in(const fs::path& dir, bool verify) {
  TlsSettings tls;
  tls.verify = verify;
  const auto existing = [&](const char* name) {
    return fs::exists(dir / name) ? (dir / name).string() : std::string();
  };
  tls.ca_file = existing("ca.pem");
  tls.cert_file = existing("cert.pem");
  tls.key_file = existing("key.pem");
  return tls;
}

Endpoint with_tls(Endpoint endpoint, TlsSettings tls) {
  if (endpoint.kind != EndpointKind::tcp) return endpoint;  // TLS is for TCP only
  endpoint.base_url.replace(0, endpoint.base_url.find("://"), "https");
  endpoint.tls = std::move(tls);
  return endpoint;
}

// DOCKER_TLS_VERIFY (any non-empty value, even "0") verifies; DOCKER_TLS alone encrypts only.
Endpoint with_tls_from_environment(Endpoint endpoint, const EnvLookup& env) {
  const bool verify = !env_or_empty(env, "DOCKER_TLS_VERIFY").empty();
  if (!verify && env_or_empty(env, "DOCKER_TLS").empty()) return endpoint;
  const std::string cert_path = env_or_empty(env, "DOCKER_CERT_PATH");
  return with_tls(
      std::move(endpoint),
      tls_files_in(cert_path.empty() ? docker_config_dir(env) : fs::path(cert_path), verify));
}

Result<Endpoint> from_context(const std::string& name, std::string_view chosen_by,
                              const EnvLookup& env) {
  const fs::path config = docker_config_dir(env);
  // The CLI files a context under the SHA-256 of its name.
  const std::string key = sha256_digest(name).substr(std::string_view("sha256:").size());
  const fs::path meta_file = config / "contexts" / "meta" / key / "meta.json";
  std::ifstream in(meta_file);
  if (!in) {
    return fail(ErrorKind::usage,
                "Docker context \"" + name + "\" (" + std::string(chosen_by) +
                    ") does not exist: no " + meta_file.string(),
                "`docker context ls` lists the contexts; `docker context use default` goes back "
                "to DOCKER_HOST and the default socket");
  }
  std::string host;
  bool skip_verify = false;
  try {
    const auto meta = nlohmann::json::parse(in);
    const auto& docker = meta.at("Endpoints").at("docker");
    host = docker.at("Host").get<std::string>();
    skip_verify = docker.value("SkipTLSVerify", false);
  } catch (const nlohmann::json::exception& error) {
    return fail(ErrorKind::usage,
                "Docker context \"" + name + "\" is unreadable: " + meta_file.string() + ": " +
                    error.what(),
                "recreate it with `docker context rm` and `docker context create`");
  }
  auto endpoint = parse_docker_host(host);
  if (!endpoint) return endpoint;
  endpoint->display = host + " (Docker context " + name + ")";
  const fs::path tls_dir = config / "contexts" / "tls" / key / "docker";
  if (fs::exists(tls_dir) || skip_verify) {
    endpoint = with_tls(std::move(*endpoint), tls_files_in(tls_dir, !skip_verify));
  }
  return endpoint;
}

std::string current_context(const EnvLookup& env) {
  // A broken config.json is reported where its credentials are read; here it names no context.
  auto config = read_docker_config(docker_config_dir(env));
  return config ? config->current_context : std::string();
}

// As the CLI's connhelper reads it: a user, a port and a socket path are optional.
Result<Endpoint> parse_ssh_host(std::string_view value) {
  Endpoint endpoint;
  endpoint.kind = EndpointKind::ssh;
  endpoint.display = std::string(value);
  std::string_view rest = value.substr(6);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    endpoint.ssh.socket_path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    endpoint.ssh.user = std::string(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    endpoint.ssh.port = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (endpoint.ssh.port.empty() ||
        endpoint.ssh.port.find_first_not_of("0123456789") != std::string::npos) {
      return fail(ErrorKind::usage, "DOCKER_HOST \"" + std::string(value) + "\" has a bad port",
                  "write it as ssh://user@host:22");
    }
  }
  endpoint.ssh.host = std::string(rest);
  if (endpoint.ssh.host.empty() || endpoint.ssh.host.starts_with('-')) {
    return fail(ErrorKind::usage, "DOCKER_HOST \"" + std::string(value) + "\" names no host",
                "write it as ssh://user@host");
  }
  return endpoint;
}

}  // namespace

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
  if (value.starts_with("ssh://")) return parse_ssh_host(value);
  std::string_view rest = value;
  if (rest.starts_with("tcp://")) {
    rest.remove_prefix(6);
  } else if (rest.find("://") != std::string_view::npos) {
    const auto scheme = std::string(value.substr(0, value.find("://")));
    return fail(ErrorKind::usage,
                "DOCKER_HOST scheme \"" + scheme + "://\" is not supported by dlrun",
                "use unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host");
  }
  if (rest.empty()) {
    return fail(ErrorKind::usage, "DOCKER_HOST \"" + std::string(value) + "\" names no host",
                "write it as tcp://host:2375 or unix:///var/run/docker.sock");
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

Result<Endpoint> endpoint_from_environment(std::string_view host_flag,
                                           std::string_view context_flag, const EnvLookup& env) {
  if (!host_flag.empty() && !context_flag.empty()) {
    return fail(ErrorKind::usage, "--host and --context both name the Docker daemon",
                "give one of them");
  }
  const auto named_host = [&env](std::string_view value) -> Result<Endpoint> {
    auto endpoint = parse_docker_host(value);
    if (!endpoint) return endpoint;
    return with_tls_from_environment(std::move(*endpoint), env);
  };
  // "default" is the context of DOCKER_HOST and the default socket, whoever names it.
  const auto context = [&](const std::string& name, std::string_view chosen_by) {
    if (name != "default") return from_context(name, chosen_by, env);
    const std::string host = env_or_empty(env, "DOCKER_HOST");
    return named_host(host.empty() ? std::string(kDefaultDockerHost) : host);
  };
  if (!context_flag.empty()) return context(std::string(context_flag), "--context");
  if (!host_flag.empty()) return named_host(host_flag);
  if (const std::string host = env_or_empty(env, "DOCKER_HOST"); !host.empty())
    return named_host(host);
  if (const std::string name = env_or_empty(env, "DOCKER_CONTEXT"); !name.empty())
    return context(name, "DOCKER_CONTEXT");
  if (const std::string name = current_context(env); !name.empty())
    return context(name, "currentContext in " + (docker_config_dir(env) / "config.json").string());
  return named_host(kDefaultDockerHost);
}

}  // namespace dlrun::engine
