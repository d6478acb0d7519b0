#include "dlrun/run/image/pull_display.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replays a recorded pull through a display whose clock moves one second per message.
std::string replay(PullDisplayMode mode, const std::string& recording) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  auto now = std::chrono::steady_clock::time_point{};
  {
    auto display = make_pull_display(mode, out, [&] { return now; });
    engine::PullProgress progress;
    display->begin("nvcr.io/nvidia/pytorch:24.05-py3");
    engine::PullStreamDecoder decoder([&](const engine::PullEvent& event) {
      now += std::chrono::seconds(1);
      progress.apply(event);
      display->update(progress);
    });
    const std::string stream = read_file(DLRUN_SOURCE_DIR "/tests/unit/engine/data/" + recording);
    REQUIRE(decoder.feed(stream));
    display->end(progress);
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

}  // namespace

TEST_CASE("plain progress: a line per 10% or 15 s, and no control characters",
          "[run][pull][golden]") {
  const std::string output = replay(PullDisplayMode::plain, "pull-multilayer.jsonl");
  const std::string golden = DLRUN_SOURCE_DIR "/tests/golden/pull-multilayer.plain.txt";
  if (std::getenv("DLRUN_UPDATE_GOLDEN") != nullptr)
    std::ofstream(golden, std::ios::binary) << output;
  CHECK(output == read_file(golden));
  CHECK(output.find_first_of("\r\033") == std::string::npos);
}

TEST_CASE("terminal progress redraws one line in place", "[run][pull]") {
  const std::string output = replay(PullDisplayMode::terminal, "pull-multilayer.jsonl");
  CHECK(output.starts_with("dlrun: pulling nvcr.io/nvidia/pytorch:24.05-py3\n\r\033[K  "));
  CHECK(std::count(output.begin(), output.end(), '\n') == 2);  // the first line and the summary
  CHECK(output.ends_with("\r\033[Kdlrun: pulled nvcr.io/nvidia/pytorch:24.05-py3 (sha256:" + [] {
    std::string hex;
    for (int i = 0; i < 32; ++i) hex += "ab";
    return hex;
  }() + "): 1.0 GB in 50s\n"));
}

TEST_CASE("quiet shows nothing", "[run][pull]") {
  CHECK(replay(PullDisplayMode::quiet, "pull-multilayer.jsonl").empty());
}

TEST_CASE("sizes in decimal units", "[run][pull]") {
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1'500) == "1.5 kB");
  CHECK(format_bytes(68'200'000) == "68.2 MB");
  CHECK(format_bytes(2'600'000'000) == "2.6 GB");
}

}  // namespace dlrun::run
