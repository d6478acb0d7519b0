#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dlrun/error.hpp"

// The seam between dlrun and the Docker daemon: HTTP requests, nothing about the Engine API.
namespace dlrun::engine {

struct Request {
  std::string method = "GET";       // GET, POST, DELETE, HEAD
  std::string target;               // path and query, e.g. "/v1.41/containers/create?name=x"
  std::optional<std::string> body;  // sent as `content_type`
  std::string content_type = "application/json";
  // Extra headers, e.g. X-Registry-Auth. Never logged: they may carry credentials.
  std::vector<std::pair<std::string, std::string>> headers;
  // Whole-request limit for plain calls; streams have none.
  std::chrono::milliseconds timeout = std::chrono::seconds(120);
  // A stream that may carry gigabytes (container output): read in larger pieces.
  bool bulk = false;
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Receives a streamed response body as it arrives.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Status and headers are complete. For attach and wait this is the daemon's "ready".
  virtual void on_headers(long status) = 0;
  // Returns false to abort the transfer.
  virtual bool on_body(std::span<const char> bytes) = 0;
  // The transport has handed over everything it has read for now: a moment to flush.
  virtual void on_idle() {}
  // Polled while the stream is idle too (about once a second): true aborts the transfer.
  virtual bool cancelled() { return false; }
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<Response> send(const Request& request) = 0;
  // Streams a 2xx body into `sink`; any other status comes back with its body in the Response.
  virtual Result<Response> stream(const Request& request, StreamSink& sink) = 0;
};

}  // namespace dlrun::engine
