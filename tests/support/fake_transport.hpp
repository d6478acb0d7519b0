#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dlrun/engine/transport.hpp"

namespace dlrun::testing {

// Answers requests from a script and records what was sent. For the daemon's misbehaviour that a
// real engine will not produce on demand, and for driving a whole command without a daemon.
class FakeTransport final : public engine::Transport {
 public:
  // in_order: each request must match the next scripted one. any_order: the first scripted
  // answer that matches (for requests a command sends from several threads at once).
  enum class Order { in_order, any_order };
  explicit FakeTransport(Order order = Order::in_order) : order_(order) {}

  struct Scripted {
    std::string expect;  // "METHOD /path…" prefix the request must match
    Result<engine::Response> answer;
    bool hangs = false;  // a stream the daemon never ends: it lasts until its sink cancels it
  };

  void expect(std::string request_prefix, long status, std::string body = {},
              std::map<std::string, std::string> headers = {}) {
    std::lock_guard lock(mutex_);
    script_.push_back(
        {std::move(request_prefix), engine::Response{status, std::move(headers), std::move(body)}});
  }
  // A stream that sends its headers and then nothing, as the daemon's attach to a container that
  // was removed before it started. It ends when the sink asks to cancel, or fails after 10 s.
  void expect_hanging_stream(std::string request_prefix) {
    std::lock_guard lock(mutex_);
    script_.push_back({std::move(request_prefix), engine::Response{200, {}, {}}, true});
  }
  // An answer to every request that matches, however often it comes (after the script's own):
  // an engine's standing state, for a command whose questions are not the test's point.
  void always(std::string request_prefix, long status, std::string body = {},
              std::map<std::string, std::string> headers = {}) {
    std::lock_guard lock(mutex_);
    standing_.push_back(
        {std::move(request_prefix), engine::Response{status, std::move(headers), std::move(body)}});
  }
  void expect_failure(std::string request_prefix, Error error) {
    std::lock_guard lock(mutex_);
    script_.push_back({std::move(request_prefix), std::unexpected(std::move(error))});
  }

  Result<engine::Response> send(const engine::Request& request) override {
    return answer(request, nullptr);
  }
  Result<engine::Response> stream(const engine::Request& request,
                                  engine::StreamSink& sink) override {
    return answer(request, &sink);
  }

  // "METHOD /target" of every request, in the order they were sent.
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& request : sent) out.push_back(request.method + " " + request.target);
    return out;
  }
  std::size_t unanswered() const {
    std::lock_guard lock(mutex_);
    return script_.size();
  }

  // Hanging streams that nothing cancelled: a command that would have waited forever.
  int never_cancelled() const { return never_cancelled_; }

  std::vector<engine::Request> sent;

 private:
  Result<engine::Response> answer(const engine::Request& request, engine::StreamSink* sink) {
    std::unique_lock lock(mutex_);
    sent.push_back(request);
    const std::string line = request.method + " " + request.target;
    const auto matches = [&](const Scripted& s) { return line.starts_with(s.expect); };
    auto next = script_.begin();
    if (order_ == Order::any_order) next = std::find_if(script_.begin(), script_.end(), matches);
    if (next == script_.end() || !matches(*next)) {
      const auto standing = std::find_if(standing_.begin(), standing_.end(), matches);
      if (standing != standing_.end()) {
        auto answer = standing->answer;
        lock.unlock();
        if (sink != nullptr && answer && answer->status < 300) {
          sink->on_headers(answer->status);
          sink->on_body(answer->body);
          answer->body.clear();
        }
        return answer;
      }
      if (next == script_.end()) return fail(ErrorKind::internal, "unexpected request: " + line);
    }
    Scripted scripted = std::move(*next);
    script_.erase(next);
    lock.unlock();
    if (!line.starts_with(scripted.expect)) {
      return fail(ErrorKind::internal, "expected " + scripted.expect + ", got " + line);
    }
    if (scripted.hangs && sink != nullptr) {
      sink->on_headers(200);
      for (int tick = 0; tick < 1000; ++tick) {
        if (sink->cancelled()) return scripted.answer;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ++never_cancelled_;
      return fail(ErrorKind::internal, "nothing ended the stream " + line + " within 10 s");
    }
    if (sink != nullptr && scripted.answer && scripted.answer->status < 300) {
      sink->on_headers(scripted.answer->status);
      sink->on_body(scripted.answer->body);
      scripted.answer->body.clear();
    }
    return scripted.answer;
  }

  Order order_;
  std::atomic<int> never_cancelled_ = 0;
  mutable std::mutex mutex_;
  std::deque<Scripted> script_;
  std::vector<Scripted> standing_;
};

}  // namespace dlrun::testing
