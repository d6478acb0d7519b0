#include "dlrun/engine/remote_daemon.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "dlrun/engine/endpoint.hpp"

namespace dlrun::engine {
namespace {

struct RemoteSettings {
  std::string docker_host;
  std::string docker_context;
  std::string current_context;
  std::vector<std::string> context_metas;
};

std::string_view next_line(std::string_view& text) {
  const auto end = text.find('\n');
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

// `currentContext": "name"` as grep -o cut it out of config.json: the name between the quotes.
std::string quoted_value(std::string_view field) {
  field.remove_prefix(std::string_view("currentContext\"").size());
  const auto open = field.find('"');
  if (open == std::string_view::npos) return "";
  const auto close = field.find('"', open + 1);
  if (close == std::string_view::npos) return "";
  return std::string(field.substr(open + 1, close - open - 1));
}

RemoteSettings parse(std::string_view output) {
  RemoteSettings settings;
  while (!output.empty()) {
    const std::string_view line = next_line(output);
    if (line.starts_with("DOCKER_HOST=")) {
      settings.docker_host = line.substr(12);
    } else if (line.starts_with("DOCKER_CONTEXT=")) {
      settings.docker_context = line.substr(15);
    } else if (line.starts_with("currentContext\"")) {
      settings.current_context = quoted_value(line);
    } else if (line.starts_with("meta ")) {
      // "meta N" and then the file's N bytes (wc -c may pad N with spaces).
      std::string_view count = line.substr(5);
      while (!count.empty() && count.front() == ' ') count.remove_prefix(1);
      std::size_t size = 0;
      const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), size);
      if (error != std::errc() || size > output.size()) break;
      settings.context_metas.emplace_back(output.substr(0, size));
      output.remove_prefix(size);
      if (output.starts_with('\n')) output.remove_prefix(1);
    }
  }
  return settings;
}

std::optional<std::string> socket_of(std::string_view docker_host) {
  auto endpoint = parse_docker_host(docker_host);
  if (!endpoint || endpoint->kind != EndpointKind::unix_socket) return std::nullopt;
  return endpoint->socket_path;
}

}  // namespace

std::string remote_daemon_query() {
  // No single quote or backslash inside: the login shell (sh, bash, zsh, fish) takes it as is.
  return "sh -c '"
         "d=\"${DOCKER_CONFIG:-$HOME/.docker}\"; "
         "echo \"DOCKER_HOST=${DOCKER_HOST-}\"; "
         "echo \"DOCKER_CONTEXT=${DOCKER_CONTEXT-}\"; "
         "grep -o \"currentContext[^,}]*\" \"$d/config.json\" 2>/dev/null; "
         "for f in \"$d\"/contexts/meta/*/meta.json; do "
         "[ -f \"$f\" ] && echo \"meta $(wc -c <\"$f\")\" && cat \"$f\" && echo; "
         "done; true'";
}

std::optional<std::string> remote_daemon_socket(std::string_view query_output) {
  const RemoteSettings settings = parse(query_output);
  if (!settings.docker_host.empty()) return socket_of(settings.docker_host);
  const std::string& context =
      !settings.docker_context.empty() ? settings.docker_context : settings.current_context;
  if (context.empty() || context == "default") return socket_of(kDefaultDockerHost);
  for (const auto& text : settings.context_metas) {
    const auto meta = nlohmann::json::parse(text, nullptr, false);
    if (!meta.is_object() || meta.value("Name", "") != context) continue;
    const auto host = meta.value(nlohmann::json::json_pointer("/Endpoints/docker/Host"), "");
    return host.empty() ? std::nullopt : socket_of(host);
  }
  return std::nullopt;
}

}  // namespace dlrun::engine
