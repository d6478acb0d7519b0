#pragma once

#include <optional>
#include <string>
#include <string_view>

// Which daemon `docker system dial-stdio` would reach on an ssh host, found without starting the
// remote docker CLI: its environment and configuration, read by a small shell script over ssh.
namespace dlrun::engine {

// The remote command that prints what the remote CLI decides by: DOCKER_HOST, DOCKER_CONTEXT,
// config.json's currentContext (that field alone: the file also holds credentials), and every
// context's meta.json (endpoints only; their TLS files stay there). POSIX sh, quoted so that any
// login shell passes it on.
std::string remote_daemon_query();

// The Unix socket the remote CLI would use, from remote_daemon_query's output, as the CLI
// chooses (DOCKER_HOST, else DOCKER_CONTEXT, else currentContext, else the default socket).
// nullopt where that is not a Unix socket (TCP, another ssh hop) or the context is not found:
// then only the remote CLI can reach it.
std::optional<std::string> remote_daemon_socket(std::string_view query_output);

}  // namespace dlrun::engine
