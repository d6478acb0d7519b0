#include "dlrun/run/host/surroundings.hpp"

#include "dlrun/engine/curl_transport.hpp"

namespace dlrun::run {

TransportFactory curl_transports() {
  return [](const engine::Endpoint& endpoint) -> std::shared_ptr<engine::Transport> {
    engine::initialize_curl();
    return std::make_shared<engine::CurlTransport>(endpoint);
  };
}

Result<engine::EngineClient> connect(const Surroundings& surroundings) {
  return engine::EngineClient::connect(surroundings.transports(surroundings.endpoint),
                                       surroundings.endpoint.display);
}

}  // namespace dlrun::run
