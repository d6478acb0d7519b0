#include "dlrun/engine/demux.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace dlrun::engine {
namespace {

struct Collected final : FrameSink {
  std::string out, err, system;
  int pieces = 0;
  void on_payload(StreamId stream, std::span<const char> bytes) override {
    ++pieces;
    std::string& target = stream == StreamId::stderr         ? err
                          : stream == StreamId::system_error ? system
                                                             : out;
    target.append(bytes.data(), bytes.size());
  }
};

std::string frame(StreamId stream, const std::string& payload) {
  const auto size = static_cast<std::uint32_t>(payload.size());
  std::string header{static_cast<char>(stream),
                     0,
                     0,
                     0,
                     static_cast<char>(size >> 24),
                     static_cast<char>((size >> 16) & 0xFF),
                     static_cast<char>((size >> 8) & 0xFF),
                     static_cast<char>(size & 0xFF)};
  return header + payload;
}

}  // namespace

TEST_CASE("frames are split into streams whatever the read boundaries", "[engine][demux]") {
  const std::string big(70000, 'x');  // larger than one 64 KiB read
  const std::string stream = frame(StreamId::stdout, "hello\n") +
                             frame(StreamId::stderr, "oops\n") + frame(StreamId::stdout, "") +
                             frame(StreamId::stdout, big) +
                             frame(StreamId::stderr, std::string(1, '\0') + "bin");
  // Every chunk size from byte-at-a-time up: headers and payloads land across reads.
  for (std::size_t chunk : {1UL, 2UL, 3UL, 7UL, 8UL, 9UL, 13UL, 4096UL, 65536UL, stream.size()}) {
    Collected collected;
    Demultiplexer demux(collected);
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      REQUIRE(demux.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)))
                  .has_value());
    }
    INFO("chunk " << chunk);
    CHECK(collected.out == "hello\n" + big);
    CHECK(collected.err == "oops\n" + std::string(1, '\0') + "bin");
    CHECK_FALSE(demux.mid_frame());
  }
}

TEST_CASE("a stream cut inside a frame is noticed", "[engine][demux]") {
  Collected collected;
  Demultiplexer demux(collected);
  const std::string whole = frame(StreamId::stdout, "hello");
  REQUIRE(demux.feed(std::span(whole).first(10)).has_value());
  CHECK(demux.mid_frame());
  CHECK(collected.out == "he");

  Demultiplexer header_only(collected);
  REQUIRE(header_only.feed(std::span(whole).first(3)).has_value());
  CHECK(header_only.mid_frame());
}

TEST_CASE("system-error frames and unknown frame types", "[engine][demux]") {
  Collected collected;
  Demultiplexer demux(collected);
  const std::string daemon_error = frame(StreamId::system_error, "error from daemon in stream");
  REQUIRE(demux.feed(daemon_error).has_value());
  CHECK(collected.system == "error from daemon in stream");

  Demultiplexer raw(collected);
  const std::string tty_output = "hello world\n";  // raw TTY bytes: 'h' is no frame type
  auto fed = raw.feed(tty_output);
  REQUIRE_FALSE(fed.has_value());
  CHECK(fed.error().message ==
        "the daemon sent an unrecognized stream type 104 in the container's output");
}

}  // namespace dlrun::engine
