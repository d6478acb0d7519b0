#include "dlrun/run/image_build.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <deque>

namespace dlrun::run {
namespace {

constexpr std::size_t kFailureLines = 20;

// The builder's own bookkeeping lines: nothing the user needs.
bool is_builder_chatter(std::string_view line) {
  return line.starts_with(" ---> ") || line.starts_with("Removing intermediate container") ||
         line.starts_with("Successfully built") || line.starts_with("Successfully tagged");
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

// Shows each step in the spec's words and the steps' own output as it comes (on stderr, so a
// failing package says why), and keeps what a failure report needs.
class BuildDisplay final : public engine::BuildObserver {
 public:
  BuildDisplay(const std::vector<BuildStep>& steps, PullDisplayMode mode, SignalWatcher& signals)
      : steps_(steps), mode_(mode), signals_(signals) {}

  void on_event(const engine::BuildEvent& event) override {
    partial_ += without_escapes(event.output);
    std::size_t newline;
    while ((newline = partial_.find('\n')) != std::string::npos) {
      take_line(partial_.substr(0, newline));
      partial_.erase(0, newline + 1);
    }
  }
  bool cancelled() override {
    if (!signal_) signal_ = signals_.take();
    return signal_.has_value();
  }
  std::optional<int> signal() const { return signal_; }
  const std::string& step() const { return step_; }
  void clear_live_line() {
    if (!live_line_) return;
    [[maybe_unused]] const auto written = write(STDERR_FILENO, "\r\x1b[K", 4);
    live_line_ = false;
  }
  std::string last_lines() const {
    std::string text;
    for (const auto& line : lines_) text += "  " + line + "\n";
    return text;
  }

 private:
  void take_line(std::string line) {
    // A progress counter redrawn with carriage returns ("(Reading database ... 45%\r…"): its
    // last state is the line.
    if (const auto redrawn = line.find_last_of('\r');
        redrawn != std::string::npos && redrawn + 1 < line.size()) {
      line.erase(0, redrawn + 1);
    }
    // "Step 3/5 : RUN …" begins a step: what came before belongs to the steps that succeeded.
    if (line.starts_with("Step ")) {
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

  // "Step 4/7 : RUN command -v apt-get …" → "4/7: build.apt: apt-get install libsndfile1". The
  // instruction's text names the step: BuildKit's counter leaves out ARG, USER and LABEL.
  std::string describe_step(const std::string& line) const {
    const auto colon = line.find(" : ");
    if (colon == std::string::npos) return line.substr(5);
    const std::string counter = line.substr(5, colon - 5);
    const std::string_view instruction = std::string_view(line).substr(colon + 3);
    for (const auto& step : steps_) {
      if (step.instruction == instruction) return counter + ": " + step.said;
    }
    return counter + ": " + std::string(instruction);
  }

  // The line cut to the terminal's width: a longer one would wrap and not be redrawn.
  static std::string fitted(const std::string& line) {
    winsize size{};
    const std::size_t columns =
        ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 8 ? size.ws_col - 3 : 77;
    return line.size() <= columns ? line : line.substr(0, columns - 1) + "…";
  }

  const std::vector<BuildStep>& steps_;
  bool live_line_ = false;
  PullDisplayMode mode_;
  SignalWatcher& signals_;
  std::optional<int> signal_;
  std::string partial_;
  std::string step_;
  std::deque<std::string> lines_;
};

// "The command '/bin/sh -c …' returned a non-zero code: 100" → " (exit code 100)".
// BuildKit: "… did not complete successfully: exit code: 100" (20.10: "executor failed running
// […]: exit code: 100").
std::string step_exit(const std::string& builder_error) {
  for (const std::string_view marker : {"returned a non-zero code: ", "exit code: "}) {
    const auto at = builder_error.rfind(marker);
    if (at != std::string::npos) {
      return " (exit code " + builder_error.substr(at + marker.size()) + ")";
    }
  }
  return " (" + builder_error + ")";
}

}  // namespace

Result<BuiltImage> build_job_image(engine::EngineClient& client, const jobspec::BuildSection& build,
                                   const std::string& job_name, const std::string& base,
                                   const engine::ImageDetails& base_details,
                                   const ImageBuildOptions& options, const EnvLookup& env,
                                   SignalWatcher& signals) {
  auto recipe = make_build_recipe(
      build, job_name, {.reference = base, .id = base_details.id, .user = base_details.user}, env,
      client.has_buildkit() ? BuildFlavor::buildkit : BuildFlavor::classic);
  if (!recipe) return std::unexpected(recipe.error());
  return supply_built_image(client, *recipe, options, signals);
}

std::string build_repository(std::string_view job_name) {
  std::string repository;
  for (const char c : job_name) {
    const auto letter = static_cast<unsigned char>(c);
    if (std::isalnum(letter)) {
      repository += static_cast<char>(std::tolower(letter));
    } else if (!repository.empty() && repository.back() != '-') {
      repository += '-';
    }
  }
  while (!repository.empty() && repository.back() == '-') repository.pop_back();
  return repository.empty() ? "job" : repository;
}

Result<BuiltImage> supply_built_image(engine::EngineClient& client, const BuildRecipe& recipe,
                                      const ImageBuildOptions& options, SignalWatcher& signals) {
  if (!options.rebuild) {
    auto present = client.inspect_image(recipe.tag);
    if (!present) return std::unexpected(present.error());
    if (auto& details = *present) {
      spdlog::info("image {}: built before from the same base and build section", recipe.tag);
      return BuiltImage{recipe.tag, std::move(*details), false};
    }
  }
  spdlog::info("building {} (the spec's \"build\" section)", recipe.tag);
  BuildDisplay display(recipe.steps, options.display, signals);
  auto outcome = client.build_image({.context_tar = recipe.context_tar,
                                     .tag = recipe.tag,
                                     .build_args = recipe.build_args,
                                     .network = recipe.network,
                                     .no_cache = options.rebuild,
                                     .buildkit = recipe.flavor == BuildFlavor::buildkit,
                                     .registry_config = options.registry_config},
                                    display);
  display.clear_live_line();
  if (!outcome) return std::unexpected(outcome.error());
  using End = engine::BuildOutcome::End;
  if (outcome->end == End::cancelled) {
    const SignalOutcome& signal = signal_outcome(display.signal().value_or(SIGINT));
    return fail(signal.kind,
                std::string(signal.words) + " while building " + recipe.tag +
                    "; the build was cancelled, no image was tagged and nothing was started",
                "run again: the steps that finished are cached by the engine");
  }
  if (outcome->end == End::failed) {
    std::string message = "the job's image could not be built";
    if (!display.step().empty()) message += ": step " + display.step() + " failed";
    message += step_exit(outcome->error);
    const std::string output = display.last_lines();
    if (!output.empty()) message += "; its last output:\n" + output;
    return fail(ErrorKind::build_failed, message,
                "fix the package name or version in the spec's \"build\" section (the output "
                "above says which); `dlrun build --print SPEC` shows the Dockerfile");
  }
  auto built = client.inspect_image(recipe.tag);
  if (!built) return std::unexpected(built.error());
  if (!*built) {
    return fail(ErrorKind::engine, "the daemon reported building " + recipe.tag + " but lacks it",
                "run with --log-level debug to see the exchange");
  }
  return BuiltImage{recipe.tag, std::move(**built), true};
}

}  // namespace dlrun::run
