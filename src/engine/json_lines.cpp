#include "dlrun/engine/json_lines.hpp"

namespace dlrun::engine {

Result<void> LineSplitter::feed(std::span<const char> bytes) {
  std::string_view chunk(bytes.data(), bytes.size());
  while (!chunk.empty()) {
    const auto newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(chunk);
      return {};
    }
    Result<void> decoded;
    if (partial_.empty()) {
      decoded = on_line_(chunk.substr(0, newline));
    } else {
      partial_.append(chunk.substr(0, newline));
      decoded = on_line_(partial_);
      partial_.clear();
    }
    if (!decoded) return decoded;
    chunk.remove_prefix(newline + 1);
  }
  return {};
}

Result<void> LineSplitter::finish() {
  if (partial_.empty()) return {};
  auto decoded = on_line_(partial_);
  partial_.clear();
  return decoded;
}

}  // namespace dlrun::engine
