#pragma once

#include <functional>
#include <span>
#include <string>

#include "dlrun/engine/json_lines.hpp"
#include "dlrun/error.hpp"

// The classic builder's progress: JSON objects, one per line, decoded as they arrive.
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
  LineSplitter lines_{[this](std::string_view line) { return decode_line(line); }};
};

}  // namespace dlrun::engine
