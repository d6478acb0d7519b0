#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "dlrun/error.hpp"

namespace dlrun::engine {

// Splits a byte stream into lines however it is chunked, never holding more than one unfinished
// line: the daemon's progress streams (pull, build) are one JSON object per line.
class LineSplitter {
 public:
  using OnLine = std::function<Result<void>(std::string_view)>;
  explicit LineSplitter(OnLine on_line) : on_line_(std::move(on_line)) {}
  Result<void> feed(std::span<const char> bytes);
  // Call at the end of the stream: a last line without a newline still counts.
  Result<void> finish();

 private:
  OnLine on_line_;
  std::string partial_;
};

}  // namespace dlrun::engine
