// The build's progress stream: the classic builder's lines, and BuildKit's trace (protobuf in
// base64) told the same way.
#include "dlrun/engine/build_stream.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dlrun/base64.hpp"

namespace dlrun::engine {
namespace {

// A length-delimited protobuf field (sizes below 128 bytes, as in these tests).
std::string field(int number, const std::string& bytes) {
  return std::string{static_cast<char>((number << 3) | 2), static_cast<char>(bytes.size())} + bytes;
}

std::string trace_line(const std::string& status_response) {
  return R"({"id":"moby.buildkit.trace","aux":")" +
         base64_encode(status_response, Base64Alphabet::standard) + "\"}\n";
}

std::vector<BuildEvent> decode(const std::string& stream) {
  std::vector<BuildEvent> events;
  BuildStreamDecoder decoder([&](const BuildEvent& event) { events.push_back(event); });
  REQUIRE(decoder.feed(stream).has_value());
  REQUIRE(decoder.finish().has_value());
  return events;
}

}  // namespace

TEST_CASE("the classic builder's lines, its error and the image it made", "[engine][build]") {
  const auto events = decode(
      "{\"stream\":\"Step 1/2 : FROM busybox\\n\"}\n"
      "{\"aux\":{\"ID\":\"sha256:abc\"}}\n"
      "{\"errorDetail\":{\"message\":\"The command '/bin/sh -c false' returned a non-zero code: "
      "1\"},\"error\":\"ignored when errorDetail says it\"}");
  REQUIRE(events.size() == 3);
  CHECK(events[0].output == "Step 1/2 : FROM busybox\n");
  CHECK(events[1].image_id == "sha256:abc");
  CHECK(events[2].error == "The command '/bin/sh -c false' returned a non-zero code: 1");
}

TEST_CASE("BuildKit's trace: a step once as it starts, then its output, and no internals",
          "[engine][build]") {
  const std::string started = field(5, "");  // a Timestamp: present once the vertex started
  const std::string run_step =
      field(1, "sha256:aa") + field(3, "[stage-0 2/3] RUN apt-get install hello") + started;
  const std::string internal =
      field(1, "sha256:bb") + field(3, "[internal] load build context") + started;
  const std::string not_yet = field(1, "sha256:cc") + field(3, "[3/3] RUN pip install x");
  // What Docker 20.10 sent for a step's log line "hi-s3" (VertexLog: vertex, timestamp, stream,
  // msg).
  const auto captured_log = base64_decode(
      "GmAKR3NoYTI1Njo0NzU0OWZjODYyYmFmMmIxNDU2OWIxZTk4YzA1ZGQzNTYzYWMxYzBmNjg2NjY5N"
      "zU4YWYxODYxNTZhZTVjNzdkEgsI9rO02AYQ5+moSxgBIgZoaS1zMwo=");
  REQUIRE(captured_log);
  const auto events =
      decode(trace_line(field(1, run_step) + field(1, internal) + field(1, not_yet)) +
             trace_line(field(1, run_step)) +  // an update: not announced again
             trace_line(*captured_log) + trace_line("\xff\xff garbage"));
  REQUIRE(events.size() == 2);
  CHECK(events[0].output == "Step 2/3 : RUN apt-get install hello\n");
  CHECK(events[1].output == "hi-s3\n");
}

}  // namespace dlrun::engine
