// The daemon's pull progress as `dlrun train` reads it: JSON lines in reads of any size (the
// first byte chooses the size), each event folded into the progress and shown by the plain and
// the terminal display, a failed pull's message classified.
#include <cstdio>

#include "dlrun/engine/pull_stream.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  if (size == 0) return 0;
  static std::FILE* const null_output = std::fopen("/dev/null", "w");
  static const engine::ImageRef ref{"docker.io", "library/busybox", "latest", ""};
  const std::size_t read_size = data[0] % 64 + 1;
  const std::string_view stream = fuzz::as_text(data + 1, size - 1);

  // A clock that moves a second per look, so that both displays draw.
  auto now = std::chrono::steady_clock::time_point{};
  const run::SteadyClock clock = [&now] { return now += std::chrono::seconds(1); };
  const auto plain = run::make_pull_display(run::PullDisplayMode::plain, null_output, clock);
  const auto terminal = run::make_pull_display(run::PullDisplayMode::terminal, null_output, clock);
  plain->begin(ref.familiar());
  terminal->begin(ref.familiar());
  engine::PullProgress progress;
  engine::PullStreamDecoder decoder([&](const engine::PullEvent& event) {
    progress.apply(event);
    plain->update(progress);
    terminal->update(progress);
    if (!event.error.empty()) (void)engine::classify_pull_error(event.error, ref);
  });
  for (std::size_t at = 0; at < stream.size(); at += read_size) {
    const auto piece = stream.substr(at, read_size);
    if (!decoder.feed(std::span(piece.data(), piece.size()))) return 0;
  }
  if (!decoder.finish()) return 0;
  plain->end(progress);
  terminal->end(progress);
  return 0;
}
