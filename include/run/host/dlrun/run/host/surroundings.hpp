#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/engine/endpoint.hpp"
#include "dlrun/engine/transport.hpp"
#include "dlrun/run/host/host_context.hpp"
#include "dlrun/user_files.hpp"

// What every command takes from outside the process: the engine's address and how to reach it,
// the environment, where output goes, who runs the job.
namespace dlrun::run {

// How run/ reaches a daemon: libcurl for real, a scripted fake in tests.
using TransportFactory =
    std::function<std::shared_ptr<engine::Transport>(const engine::Endpoint& endpoint)>;
TransportFactory curl_transports();

// Everything a command needs from outside the process, injectable as a whole.
struct Surroundings {
  engine::Endpoint endpoint;
  TransportFactory transports = curl_transports();
  EnvLookup env = process_environment();
  int stdout_fd = 1;  // where the job's output goes
  int stderr_fd = 2;
  // Who runs the job (uid, gid, user name, owner label) and a fresh container-name suffix.
  std::function<HostContext(std::string spec_digest, EnvLookup env)> host = current_host;
};

// Pings the daemon and settles the API version: the one way every command connects.
Result<engine::EngineClient> connect(const Surroundings& surroundings);

}  // namespace dlrun::run
