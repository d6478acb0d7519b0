#include "dlrun/engine/pull_stream.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <vector>

namespace dlrun::engine {
namespace {

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(DLRUN_SOURCE_DIR "/tests/unit/engine/data/") + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  REQUIRE_FALSE(text.str().empty());
  return text.str();
}

std::vector<PullEvent> decode_in_chunks(const std::string& stream, std::size_t chunk) {
  std::vector<PullEvent> events;
  PullStreamDecoder decoder([&](const PullEvent& event) { events.push_back(event); });
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    REQUIRE(decoder.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at))));
  }
  REQUIRE(decoder.finish());
  return events;
}

}  // namespace

TEST_CASE("pull progress decodes the same however the stream is chunked", "[engine][pull]") {
  const std::string stream = recorded("pull-multilayer.jsonl");
  const auto whole = decode_in_chunks(stream, stream.size());
  REQUIRE(whole.size() == 50);
  for (std::size_t chunk : {1UL, 2UL, 7UL, 64UL, 1000UL}) {
    INFO("chunk " << chunk);
    const auto events = decode_in_chunks(stream, chunk);
    REQUIRE(events.size() == whole.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].status == whole[i].status);
      CHECK(events[i].current == whole[i].current);
    }
  }
}

TEST_CASE("per-layer states fold into totals", "[engine][pull]") {
  PullProgress progress;
  PullStreamDecoder decoder([&](const PullEvent& event) { progress.apply(event); });
  const std::string stream = recorded("pull-multilayer.jsonl");
  const auto half = stream.find("\"current\":200000000");  // layer b2 half way, c3 half way
  REQUIRE(decoder.feed(std::span(stream).first(half)));
  CHECK(progress.layers() == 4);
  CHECK(progress.bytes_total() == 0);  // d4 is still waiting: its size is unknown
  REQUIRE(decoder.feed(std::span(stream).subspan(half)));
  REQUIRE(decoder.finish());
  CHECK(progress.layers_extracted() == 4);
  CHECK(progress.bytes_done() == 1'000'000'000);
  CHECK(progress.bytes_total() == 1'000'000'000);
  std::string expected_digest = "sha256:";
  for (int i = 0; i < 32; ++i) expected_digest += "ab";
  CHECK(progress.digest() == expected_digest);
}

TEST_CASE("a real two-layer pull from the test registry", "[engine][pull]") {
  PullProgress progress;
  for (const auto& event : decode_in_chunks(recorded("pull-payload.jsonl"), 13))
    progress.apply(event);
  CHECK(progress.layers() == 2);
  CHECK(progress.layers_extracted() == 2);
  CHECK(progress.bytes_done() > 64'000'000);
  CHECK(progress.digest().starts_with("sha256:"));
}

TEST_CASE("an error in the stream is kept with its message", "[engine][pull]") {
  const auto events = decode_in_chunks(recorded("pull-no-space.jsonl"), 5);
  REQUIRE(events.size() == 4);
  CHECK(events.back().error ==
        "write /var/lib/docker/tmp/GetImageBlob123: no space left on device");

  const Error error = classify_pull_error(events.back().error,
                                          *parse_image_ref("nvcr.io/nvidia/pytorch:24.05-py3"));
  CHECK(error.message ==
        "the Docker host ran out of disk space pulling nvcr.io/nvidia/pytorch:24.05-py3: write "
        "/var/lib/docker/tmp/GetImageBlob123: no space left on device");
  CHECK(error.hint ==
        "free space under the daemon's data root (docker system df; docker image prune)");
}

TEST_CASE("malformed progress is an error, not a crash", "[engine][pull]") {
  PullStreamDecoder decoder([](const PullEvent&) {});
  auto fed = decoder.feed(std::string_view("{\"status\":\"ok\"}\r\n<html>bad gateway</html>\r\n"));
  REQUIRE_FALSE(fed);
  CHECK(fed.error().message == "the daemon's pull progress is not JSON: <html>bad gateway</html>");
}

TEST_CASE("pull failures are classified by the daemon's words", "[engine][pull]") {
  const auto ref = *parse_image_ref("127.0.0.1:5000/team/img:1");
  const auto kind = [&](const std::string& message) {
    return classify_pull_error(message, ref).kind;
  };
  CHECK(kind("Head \"http://127.0.0.1:5000/v2/team/img/manifests/1\": no basic auth credentials") ==
        ErrorKind::engine_permission);
  CHECK(
      kind(
          "manifest for 127.0.0.1:5000/team/img:1 not found: manifest unknown: manifest unknown") ==
      ErrorKind::image_not_found);
  CHECK(kind("pull access denied for team/img, repository does not exist or may require 'docker "
             "login'") == ErrorKind::image_not_found);
  CHECK(kind("Get \"https://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: connection "
             "refused") == ErrorKind::engine_unreachable);
  const Error unauthorized = classify_pull_error("unauthorized: authentication required", ref);
  CHECK(unauthorized.message ==
        "the registry 127.0.0.1:5000 refused to serve 127.0.0.1:5000/team/img:1 without valid "
        "credentials: "
        "unauthorized: authentication required");
  CHECK(unauthorized.hint == "log in with `docker login 127.0.0.1:5000`");
}

// Found by tests/fuzz (pull_stream): a field of another type threw out of the decoder, and sizes
// no image has overflowed the totals.
TEST_CASE("pull progress of other types or sizes than the daemon's is read without failing",
          "[engine][pull][fuzz]") {
  const std::string stream =
      R"({"status":{},"id":{}}
{"status":"Downloading","id":"a","progressDetail":{"current":"9","total":1e300}}
{"status":"Downloading","id":"b","progressDetail":{"current":9223372036854775807,"total":9223372036854775807}}
{"status":"Downloading","id":"c","progressDetail":{"current":-5,"total":9223372036854775807}}
{"errorDetail":{"message":7}}
)";
  const auto events = decode_in_chunks(stream, stream.size());
  REQUIRE(events.size() == 5);
  CHECK(events[0].status.empty());
  CHECK(events[0].id.empty());
  CHECK(events[1].current == 0);
  CHECK(events[1].total == 0);
  CHECK(events[4].error == "unknown error");
  PullProgress progress;
  for (const auto& event : events) progress.apply(event);
  CHECK(progress.layers() == 3);
  CHECK(progress.bytes_done() == std::int64_t{1} << 53);
  CHECK(progress.bytes_total() == std::int64_t{1} << 53);
}

}  // namespace dlrun::engine
