#pragma once

#include <functional>
#include <span>
#include <string>

#include "dlrun/engine/buildkit_trace.hpp"
#include "dlrun/engine/json_lines.hpp"
#include "dlrun/error.hpp"

// A build's progress: JSON objects, one per line, decoded as they arrive. The classic builder
// writes its lines in "stream"; BuildKit's trace comes in "aux" and is told the same way.
namespace dlrun::engine {

struct BuildEvent {
  std::string output;    // "stream": the builder's own lines ("Step 2/4 : RUN …") and the steps'
  std::string error;     // errorDetail.message, or error: the build failed
  std::string image_id;  // aux.ID: the image the build made
};

class BuildStreamDecoder {
 public:
  explicit BuildStreamDecoder(std::function<void(const BuildEvent&)> on_event)
      : on_event_(std::move(on_event)) {}
  Result<void> feed(std::span<const char> bytes) { return lines_.feed(bytes); }
  Result<void> finish() { return lines_.finish(); }

 private:
  Result<void> decode_line(std::string_view line);
  std::function<void(const BuildEvent&)> on_event_;
  BuildKitTrace trace_;
  LineSplitter lines_{[this](std::string_view line) { return decode_line(line); }};
};

}  // namespace dlrun::engine
