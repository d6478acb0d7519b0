#pragma once

#include <deque>
#include <string>
#include <vector>

#include "dlrun/engine/transport.hpp"

namespace dlrun::testing {

// Answers requests from a script, in order, and records what was sent. For the daemon's
// misbehaviour that a real engine will not produce on demand.
class FakeTransport final : public engine::Transport {
 public:
  struct Scripted {
    std::string expect;  // "METHOD /path…" prefix the request must match
    Result<engine::Response> answer;
  };

  void expect(std::string request_prefix, long status, std::string body = {},
              std::map<std::string, std::string> headers = {}) {
    script_.push_back(
        {std::move(request_prefix), engine::Response{status, std::move(headers), std::move(body)}});
  }
  void expect_failure(std::string request_prefix, Error error) {
    script_.push_back({std::move(request_prefix), std::unexpected(std::move(error))});
  }

  Result<engine::Response> send(const engine::Request& request) override {
    return answer(request, nullptr);
  }
  Result<engine::Response> stream(const engine::Request& request,
                                  engine::StreamSink& sink) override {
    return answer(request, &sink);
  }

  std::vector<engine::Request> sent;

 private:
  Result<engine::Response> answer(const engine::Request& request, engine::StreamSink* sink) {
    sent.push_back(request);
    const std::string line = request.method + " " + request.target;
    if (script_.empty()) return fail(ErrorKind::internal, "unexpected request: " + line);
    Scripted next = std::move(script_.front());
    script_.pop_front();
    if (!line.starts_with(next.expect)) {
      return fail(ErrorKind::internal, "expected " + next.expect + ", got " + line);
    }
    if (sink != nullptr && next.answer && next.answer->status < 300) {
      sink->on_headers(next.answer->status);
      sink->on_body(next.answer->body);
      next.answer->body.clear();
    }
    return next.answer;
  }

  std::deque<Scripted> script_;
};

}  // namespace dlrun::testing
