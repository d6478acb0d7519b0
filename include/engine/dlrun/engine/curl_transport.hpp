#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

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
  // How a request reaches the daemon: directly (Unix socket, TCP), or over ssh through the
  // master's forwarded socket or a `dial-stdio` connection of its own.
  struct Route {
    std::string forwarded_socket;
    bool dial_stdio = false;
  };

  Result<Response> perform(const Request& request, StreamSink* sink);
  // Over ssh: starts the command's master on first use, and finds the daemon through it.
  Result<Route> ssh_route(bool again);
  Result<Response> exchange(const Request& request, StreamSink* sink, const Route& route,
                            CURLcode* failed_with = nullptr);

  Endpoint endpoint_;
  std::chrono::milliseconds connect_timeout_;
  // Over ssh: the command's one ssh master, where the user's config has none. Declared before
  // the connections, so that it ends after every one has.
  std::mutex route_mutex_;
  bool started_ = false;
  std::shared_ptr<SshMultiplexer> multiplexer_;
  std::atomic<bool> forward_proven_ = false;  // a request has had its answer through the forward
  std::unique_ptr<IdleHandles> idle_;
};

// Call once, before any thread starts (libcurl's global init is not thread-safe).
void initialize_curl();

}  // namespace dlrun::engine
