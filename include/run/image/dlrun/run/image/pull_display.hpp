#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "dlrun/engine/pull_stream.hpp"

namespace dlrun::run {

enum class PullDisplayMode {
  terminal,  // one line, redrawn in place
  plain,     // a line every 10% or 15 s, no control characters (CI logs, | tee)
  quiet,     // nothing
};

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// Shows a pull's progress; `update` is called on every daemon message.
class PullDisplay {
 public:
  virtual ~PullDisplay() = default;
  virtual void begin(const std::string& image) = 0;
  virtual void update(const engine::PullProgress& progress) = 0;
  virtual void end(const engine::PullProgress& progress) = 0;
};

std::unique_ptr<PullDisplay> make_pull_display(PullDisplayMode mode, std::FILE* out,
                                               SteadyClock clock);

// terminal when `out` is a terminal, else plain; quiet wins.
PullDisplayMode pull_display_mode_for(std::FILE* out, bool quiet);

}  // namespace dlrun::run
