#include "dlrun/run/image/pull_display.hpp"

#include <unistd.h>

#include <array>
#include <cmath>

#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

using Clock = std::chrono::steady_clock;

std::string format_seconds(double seconds) {
  const auto whole = static_cast<long>(std::lround(seconds));
  if (whole < 60) return std::to_string(whole) + "s";
  if (whole < 3600) return std::to_string(whole / 60) + "m" + std::to_string(whole % 60) + "s";
  return std::to_string(whole / 3600) + "h" + std::to_string(whole % 3600 / 60) + "m";
}

// What both displays say about a pull in flight.
struct Snapshot {
  std::int64_t done = 0;
  std::int64_t total = 0;
  double rate = 0;  // bytes per second since the start
  int percent = -1;
};

Snapshot snapshot(const engine::PullProgress& progress, Clock::time_point started,
                  Clock::time_point now) {
  Snapshot s;
  s.done = progress.bytes_done();
  s.total = progress.bytes_total();
  const double elapsed = std::chrono::duration<double>(now - started).count();
  s.rate = elapsed > 0.5 ? static_cast<double>(s.done) / elapsed : 0;
  if (s.total > 0) s.percent = static_cast<int>(s.done * 100 / s.total);
  return s;
}

std::string describe(const engine::PullProgress& progress, const Snapshot& s) {
  std::string line;
  if (s.total > 0) {
    line = std::to_string(s.percent) + "% " + format_bytes(s.done) + " of " + format_bytes(s.total);
  } else {
    line = format_bytes(s.done);
  }
  if (s.rate > 0) line += ", " + format_bytes(static_cast<std::int64_t>(s.rate)) + "/s";
  if (s.rate > 0 && s.total > s.done) {
    line += ", ETA " + format_seconds(static_cast<double>(s.total - s.done) / s.rate);
  }
  line += ", layers " + std::to_string(progress.layers_extracted()) + "/" +
          std::to_string(progress.layers()) + " extracted";
  return line;
}

std::string summary(const engine::PullProgress& progress, const std::string& image,
                    Clock::duration elapsed) {
  if (progress.up_to_date()) return "dlrun: " + image + " is up to date\n";
  std::string line = "dlrun: pulled " + image;
  if (!progress.digest().empty()) line += " (" + progress.digest() + ")";
  line += ": " + format_bytes(progress.bytes_done()) + " in " +
          format_seconds(std::chrono::duration<double>(elapsed).count()) + "\n";
  return line;
}

// What both visible displays share: the opening line and the clock.
class VisibleDisplay : public PullDisplay {
 public:
  VisibleDisplay(std::FILE* out, SteadyClock clock) : out_(out), clock_(std::move(clock)) {}
  void begin(const std::string& image) override {
    image_ = image;
    started_ = clock_();
    std::fprintf(out_, "dlrun: pulling %s\n", image.c_str());
    std::fflush(out_);
  }

 protected:
  std::FILE* out_;
  SteadyClock clock_;
  std::string image_;
  Clock::time_point started_;
};

class TerminalDisplay final : public VisibleDisplay {
 public:
  using VisibleDisplay::VisibleDisplay;
  void update(const engine::PullProgress& progress) override {
    const auto now = clock_();
    if (now - last_draw_ < std::chrono::milliseconds(100))
      return;  // a redraw per message would flicker
    last_draw_ = now;
    std::fprintf(out_, "\r\033[K  %s",
                 describe(progress, snapshot(progress, started_, now)).c_str());
    std::fflush(out_);
  }
  void end(const engine::PullProgress& progress) override {
    std::fprintf(out_, "\r\033[K%s", summary(progress, image_, clock_() - started_).c_str());
    std::fflush(out_);
  }

 private:
  Clock::time_point last_draw_;
};

class PlainDisplay final : public VisibleDisplay {
 public:
  using VisibleDisplay::VisibleDisplay;
  void begin(const std::string& image) override {
    VisibleDisplay::begin(image);
    last_line_ = started_;
  }
  void update(const engine::PullProgress& progress) override {
    const auto now = clock_();
    const Snapshot s = snapshot(progress, started_, now);
    const bool next_tenth = s.percent >= 0 && s.percent / 10 > last_tenth_;
    const bool quiet_too_long = now - last_line_ >= std::chrono::seconds(15);
    if (!next_tenth && !quiet_too_long) return;
    if (s.percent >= 0) last_tenth_ = s.percent / 10;
    last_line_ = now;
    std::fprintf(out_, "dlrun:   %s\n", describe(progress, s).c_str());
    std::fflush(out_);
  }
  void end(const engine::PullProgress& progress) override {
    std::fputs(summary(progress, image_, clock_() - started_).c_str(), out_);
    std::fflush(out_);
  }

 private:
  Clock::time_point last_line_;
  int last_tenth_ = 0;
};

class QuietDisplay final : public PullDisplay {
 public:
  void begin(const std::string&) override {}
  void update(const engine::PullProgress&) override {}
  void end(const engine::PullProgress&) override {}
};

}  // namespace

std::unique_ptr<PullDisplay> make_pull_display(PullDisplayMode mode, std::FILE* out,
                                               SteadyClock clock) {
  switch (mode) {
    case PullDisplayMode::terminal:
      return std::make_unique<TerminalDisplay>(out, std::move(clock));
    case PullDisplayMode::plain:
      return std::make_unique<PlainDisplay>(out, std::move(clock));
    case PullDisplayMode::quiet:
      break;
  }
  return std::make_unique<QuietDisplay>();
}

PullDisplayMode pull_display_mode_for(std::FILE* out, bool quiet) {
  if (quiet) return PullDisplayMode::quiet;
  return isatty(fileno(out)) ? PullDisplayMode::terminal : PullDisplayMode::plain;
}

}  // namespace dlrun::run
