#pragma once

#include <chrono>
#include <memory>

#include "dlrun/engine/endpoint.hpp"
#include "dlrun/engine/ssh_tunnel.hpp"
#include "dlrun/engine/transport.hpp"

namespace dlrun::engine {

// HTTP/1.1 to the daemon with libcurl. Each call uses its own handle, so calls may run
// concurrently from several threads (attach and wait stream while the main thread starts).
// A handle whose request is done waits for the next one with its connection open (keep-alive):
// a run's requests share a few connections rather than connecting once each.
class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(Endpoint endpoint,
                         std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<Response> send(const Request& request) override;
  Result<Response> stream(const Request& request, StreamSink& sink) override;

 private:
  struct IdleHandles;

  Result<Response> perform(const Request& request, StreamSink* sink);

  // Over ssh: the command's one ssh master, where the user's config has none. Declared before
  // the endpoint that names its socket, so that it ends after every connection has.
  std::unique_ptr<SshMultiplexer> multiplexer_;
  Endpoint endpoint_;
  std::chrono::milliseconds connect_timeout_;
  std::unique_ptr<IdleHandles> idle_;
};

// Call once, before any thread starts (libcurl's global init is not thread-safe).
void initialize_curl();

}  // namespace dlrun::engine
