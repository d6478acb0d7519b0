// Docker's multiplexed attach/logs stream, as the daemon's bytes arrive: in reads of any size.
// The first byte chooses the read size; the rest is the stream. Fed whole or in pieces, the
// demultiplexer must hand on the same bytes per stream and agree on where it stopped.
#include <cstdio>
#include <string>

#include "dlrun/engine/demux.hpp"
#include "fuzz_input.hpp"

namespace {

struct Collected final : dlrun::engine::FrameSink {
  std::string streams[4];
  void on_payload(dlrun::engine::StreamId stream, std::span<const char> bytes) override {
    streams[static_cast<int>(stream)].append(bytes.data(), bytes.size());
  }
};

struct Outcome {
  Collected collected;
  bool failed = false;
  bool mid_frame = false;
};

Outcome demultiplex(std::string_view stream, std::size_t read_size) {
  Outcome outcome;
  dlrun::engine::Demultiplexer demux(outcome.collected);
  for (std::size_t at = 0; at < stream.size(); at += read_size) {
    const auto piece = stream.substr(at, read_size);
    if (!demux.feed(std::span(piece.data(), piece.size()))) {
      outcome.failed = true;
      return outcome;
    }
  }
  outcome.mid_frame = demux.mid_frame();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read_size = data[0] % 16 + 1;
  const std::string_view stream = dlrun::fuzz::as_text(data + 1, size - 1);
  const Outcome whole = demultiplex(stream, stream.size() + 1);
  const Outcome pieces = demultiplex(stream, read_size);
  if (whole.failed != pieces.failed) {
    std::fprintf(stderr, "read size %zu changes whether the stream fails\n", read_size);
    std::abort();
  }
  if (whole.failed) return 0;
  for (int i = 0; i < 4; ++i) {
    if (whole.collected.streams[i] != pieces.collected.streams[i]) {
      std::fprintf(stderr, "read size %zu changes stream %d's bytes\n", read_size, i);
      std::abort();
    }
  }
  if (whole.mid_frame != pieces.mid_frame) std::abort();
  return 0;
}
