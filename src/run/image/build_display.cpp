#include "dlrun/run/image/build_display.hpp"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace dlrun::run {
namespace {

constexpr std::size_t kFailureLines = 20;

// The builder's own bookkeeping lines: nothing the user needs. Docker's classic builder
// (" ---> 3b6a…", "Successfully built …") and Podman's buildah ("--> Using cache …",
// "COMMIT name", and the image's id alone on the last line).
bool is_builder_chatter(std::string_view line) {
  const bool image_id = line.size() == 64 && std::all_of(line.begin(), line.end(), [](char c) {
                          return std::isxdigit(static_cast<unsigned char>(c));
                        });
  return line.starts_with(" ---> ") || line.starts_with("Removing intermediate container") ||
         line.starts_with("Successfully built") || line.starts_with("Successfully tagged") ||
         line.starts_with("--> ") || line.starts_with("COMMIT ") || image_id;
}

// "Step 3/5 : RUN …" (Docker) or "STEP 3/5: RUN …" (Podman's buildah) begins a step.
bool is_step_line(std::string_view line) {
  return line.starts_with("Step ") || line.starts_with("STEP ");
}

// The builder marks a step's stderr with colour codes (ESC[91m … ESC[0m): kept out of logs.
std::string without_escapes(std::string_view text) {
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    plain += text[i];
  }
  return plain;
}

// The line cut to the terminal's width: a longer one would wrap and not be redrawn.
std::string fitted(const std::string& line) {
  winsize size{};
  const std::size_t columns =
      ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 8 ? size.ws_col - 3 : 77;
  return line.size() <= columns ? line : line.substr(0, columns - 1) + "…";
}

}  // namespace

void BuildDisplay::on_event(const engine::BuildEvent& event) {
  partial_ += without_escapes(event.output);
  std::size_t newline;
  while ((newline = partial_.find('\n')) != std::string::npos) {
    take_line(partial_.substr(0, newline));
    partial_.erase(0, newline + 1);
  }
}

void BuildDisplay::clear_live_line() {
  if (!live_line_) return;
  [[maybe_unused]] const auto written = write(STDERR_FILENO, "\r\x1b[K", 4);
  live_line_ = false;
}

std::string BuildDisplay::last_lines() const {
  std::string text;
  for (const auto& line : lines_) text += "  " + line + "\n";
  return text;
}

void BuildDisplay::take_line(std::string line) {
  // A progress counter redrawn with carriage returns ("(Reading database ... 45%\r…"): its
  // last state is the line.
  if (const auto redrawn = line.find_last_of('\r');
      redrawn != std::string::npos && redrawn + 1 < line.size()) {
    line.erase(0, redrawn + 1);
  }
  // A step begins: what came before belongs to the steps that succeeded.
  if (is_step_line(line)) {
    clear_live_line();
    lines_.clear();
    step_ = describe_step(line);
    spdlog::info("build step {}", step_);
    return;
  }
  if (is_builder_chatter(line)) return;
  if (mode_ == PullDisplayMode::terminal) {
    // Live and compact: the step's latest line, redrawn in place; all of it on failure.
    const std::string shown = "\r\x1b[K  " + fitted(line);
    [[maybe_unused]] const auto written = write(STDERR_FILENO, shown.data(), shown.size());
    live_line_ = true;
  } else if (mode_ == PullDisplayMode::plain) {
    const std::string shown = line + "\n";
    [[maybe_unused]] const auto written = write(STDERR_FILENO, shown.data(), shown.size());
  }
  lines_.push_back(std::move(line));
  if (lines_.size() > kFailureLines) lines_.pop_front();
}

// "Step 4/7 : RUN command -v apt-get …" (or buildah's "STEP 4/7: RUN …") → "4/7: build.apt:
// apt-get install libsndfile1". The instruction's text names the step: BuildKit's counter
// leaves out ARG, USER and LABEL.
std::string BuildDisplay::describe_step(const std::string& line) const {
  const bool spaced = line.find(" : ") != std::string::npos;
  const auto colon = line.find(spaced ? " : " : ": ");
  if (colon == std::string::npos) return line.substr(5);
  const std::string counter = line.substr(5, colon - 5);
  const std::string_view instruction = std::string_view(line).substr(colon + (spaced ? 3 : 2));
  for (const auto& step : steps_) {
    if (step.instruction == instruction) return counter + ": " + step.said;
  }
  return counter + ": " + std::string(instruction);
}

}  // namespace dlrun::run
