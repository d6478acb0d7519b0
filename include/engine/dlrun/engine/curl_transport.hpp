#pragma once

#include <chrono>
#include <memory>

#include "dlrun/engine/endpoint.hpp"
#include "dlrun/engine/transport.hpp"

namespace dlrun::engine {

// HTTP/1.1 to the daemon with libcurl. Each call uses its own handle, so calls may run
// concurrently from several threads (attach and wait stream while the main thread starts).
class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(Endpoint endpoint,
                         std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));

  Result<Response> send(const Request& request) override;
  Result<Response> stream(const Request& request, StreamSink& sink) override;

 private:
  Result<Response> perform(const Request& request, StreamSink* sink);

  Endpoint endpoint_;
  std::chrono::milliseconds connect_timeout_;
};

// Call once, before any thread starts (libcurl's global init is not thread-safe).
void initialize_curl();

}  // namespace dlrun::engine
