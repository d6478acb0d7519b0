#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dlrun/error.hpp"

namespace dlrun::engine {

// The stream a frame of Docker's multiplexed attach/logs format belongs to.
enum class StreamId : std::uint8_t { stdin_echo = 0, stdout = 1, stderr = 2, system_error = 3 };

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // A piece of a frame's payload; a frame may arrive in several pieces.
  virtual void on_payload(StreamId stream, std::span<const char> bytes) = 0;
};

// Splits Docker's multiplexed stream (8-byte header: type, 0, 0, 0, big-endian size) into
// payloads. Frame boundaries are unrelated to read boundaries: a header may be split across
// reads and one read may hold many frames, so this is a byte-level state machine that never
// buffers payload.
class Demultiplexer {
 public:
  explicit Demultiplexer(FrameSink& sink) : sink_(sink) {}

  // Fails on a frame type outside 0-3: the stream is not what we think it is.
  Result<void> feed(std::span<const char> bytes);

  // True when the stream stopped inside a frame (the daemon went away mid-frame).
  bool mid_frame() const { return header_filled_ != 0 || payload_left_ != 0; }

 private:
  FrameSink& sink_;
  std::array<unsigned char, 8> header_{};
  std::size_t header_filled_ = 0;
  std::uint32_t payload_left_ = 0;
  StreamId current_ = StreamId::stdout;
};

}  // namespace dlrun::engine
