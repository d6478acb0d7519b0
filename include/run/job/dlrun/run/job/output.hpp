#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "dlrun/engine/demux.hpp"
#include "dlrun/engine/transport.hpp"

namespace dlrun::run {

// Receives the container's multiplexed output and writes each stream to its own descriptor as
// it arrives. Consecutive frames of one stream are written together; a switch of stream
// flushes first, so the order between stdout and stderr is kept.
class OutputForwarder final : public engine::StreamSink, private engine::FrameSink {
 public:
  // A requested `stop` ends the stream (within about a second): the daemon does not close the
  // attach stream of a container removed before it started.
  OutputForwarder(int stdout_fd, int stderr_fd, std::function<void()> on_attached,
                  std::stop_token stop = {});

  void on_headers(long status) override;
  bool on_body(std::span<const char> bytes) override;
  void on_idle() override;
  bool cancelled() override { return stop_.stop_requested(); }
  // Writes what is still held; call when the stream has ended.
  void finish();

  // Called once, from the streaming thread, when a write fails: the terminal hung up (EIO) or the
  // reader of a pipe went away (EPIPE). The stream goes on; nothing more is written there.
  void on_reader_gone(std::function<void()> callback) { on_reader_gone_ = std::move(callback); }

  // Set when the stream was not what it should be (unknown frame type, a daemon error frame).
  const std::optional<Error>& failure() const { return failure_; }
  // The last 16 KiB the job printed, both streams in the order written (once the stream ended).
  std::string_view last_output() const;
  bool ended_mid_frame() const { return demux_.mid_frame(); }

 private:
  void on_payload(engine::StreamId stream, std::span<const char> bytes) override;
  void flush();

  static constexpr std::size_t kFlushBytes = 256 * 1024;
  static constexpr std::size_t kTailBytes = 16 * 1024;

  int stdout_fd_;
  int stderr_fd_;
  std::function<void()> on_attached_;
  std::function<void()> on_reader_gone_;
  std::stop_token stop_;
  engine::Demultiplexer demux_;
  engine::StreamId pending_stream_ = engine::StreamId::stdout;
  std::string pending_;
  std::string tail_;
  std::string system_error_;
  std::optional<Error> failure_;
  bool stdout_open_ = true;
  bool stderr_open_ = true;
};

// Keeps the end of a container's output (a log read with a tail), both streams in order, for a
// post-mortem; writes nothing.
class OutputTail final : public engine::StreamSink, private engine::FrameSink {
 public:
  OutputTail() : demux_(*this) {}
  void on_headers(long) override {}
  bool on_body(std::span<const char> bytes) override { return demux_.feed(bytes).has_value(); }
  const std::string& text() const { return text_; }

 private:
  void on_payload(engine::StreamId stream, std::span<const char> bytes) override {
    if (stream != engine::StreamId::system_error) text_.append(bytes.data(), bytes.size());
  }

  engine::Demultiplexer demux_;
  std::string text_;
};

}  // namespace dlrun::run
