#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/image/build_recipe.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "dlrun/signals.hpp"

namespace dlrun::run {

// Shows each step in the spec's words and the steps' own output as it comes (on stderr, so a
// failing package says why), and keeps what a failure report needs. Fed the builder's stream:
// "Step 3/5 : RUN …" begins a step.
class BuildDisplay final : public engine::BuildObserver {
 public:
  BuildDisplay(const std::vector<BuildStep>& steps, PullDisplayMode mode, SignalWatcher& signals)
      : steps_(steps), mode_(mode), signals_(signals) {}

  void on_event(const engine::BuildEvent& event) override;
  bool cancelled() override {
    if (!signal_) signal_ = signals_.take();
    return signal_.has_value();
  }
  std::optional<int> signal() const { return signal_; }
  const std::string& step() const { return step_; }
  void clear_live_line();
  // The step's last lines of output, indented, one per line.
  std::string last_lines() const;

 private:
  void take_line(std::string line);
  std::string describe_step(const std::string& line) const;

  const std::vector<BuildStep>& steps_;
  bool live_line_ = false;
  PullDisplayMode mode_;
  SignalWatcher& signals_;
  std::optional<int> signal_;
  std::string partial_;
  std::string step_;
  std::deque<std::string> lines_;
};

}  // namespace dlrun::run
