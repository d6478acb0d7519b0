#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "dlrun/engine/image_ref.hpp"
#include "dlrun/engine/json_lines.hpp"
#include "dlrun/error.hpp"

// The daemon's pull progress: a stream of JSON objects, one per line, decoded as it arrives.
namespace dlrun::engine {

struct PullEvent {
  std::string status;
  std::string id;  // a layer's short id, or the tag on "Pulling from"
  std::int64_t current = 0;
  std::int64_t total = 0;
  std::string error;  // errorDetail.message or error: the pull failed
};

// Decodes the pull's JSON lines however the stream is chunked.
class PullStreamDecoder {
 public:
  explicit PullStreamDecoder(std::function<void(const PullEvent&)> on_event)
      : on_event_(std::move(on_event)) {}
  Result<void> feed(std::span<const char> bytes) { return lines_.feed(bytes); }
  // Call at the end of the stream: a last line without a newline still counts.
  Result<void> finish() { return lines_.finish(); }

 private:
  Result<void> decode_line(std::string_view line);
  std::function<void(const PullEvent&)> on_event_;
  LineSplitter lines_{[this](std::string_view line) { return decode_line(line); }};
};

// Per-layer state folded into totals for one progress display.
class PullProgress {
 public:
  void apply(const PullEvent& event);

  int layers() const { return static_cast<int>(layers_.size()); }
  int layers_downloaded() const;
  int layers_extracted() const;
  std::int64_t bytes_done() const;
  std::int64_t bytes_total() const;  // 0 while unknown
  const std::string& digest() const { return digest_; }
  bool up_to_date() const { return up_to_date_; }

 private:
  enum class Phase { waiting, downloading, downloaded, extracting, done };
  struct Layer {
    Phase phase = Phase::waiting;
    std::int64_t current = 0;
    std::int64_t total = 0;
  };
  std::map<std::string, Layer> layers_;
  std::string digest_;
  bool up_to_date_ = false;
};

// The daemon's words for a failed pull, turned into what went wrong and what to do.
Error classify_pull_error(const std::string& message, const ImageRef& ref);

}  // namespace dlrun::engine
