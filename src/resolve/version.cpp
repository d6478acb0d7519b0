#include "dlrun/resolve/version.hpp"

#include <charconv>

namespace dlrun::resolve {

std::optional<Version> Version::parse(std::string_view text) {
  const std::string_view original = text;
  std::vector<int> parts;
  while (true) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data() || value < 0) return std::nullopt;
    parts.push_back(value);
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) break;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  Version version(std::move(parts));
  version.text_ = std::string(original);
  return version;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  const std::size_t length = std::max(parts_.size(), other.parts_.size());
  for (std::size_t i = 0; i < length; ++i) {
    const int mine = i < parts_.size() ? parts_[i] : 0;
    const int theirs = i < other.parts_.size() ? other.parts_[i] : 0;
    if (mine != theirs) return mine <=> theirs;
  }
  return std::strong_ordering::equal;
}

Version Version::prefix(std::size_t count) const {
  std::vector<int> parts(
      parts_.begin(), parts_.begin() + static_cast<std::ptrdiff_t>(std::min(count, parts_.size())));
  return Version(std::move(parts));
}

std::string Version::to_string() const {
  if (!text_.empty()) return text_;
  std::string out;
  for (std::size_t i = 0; i < parts_.size(); ++i)
    out += (i == 0 ? "" : ".") + std::to_string(parts_[i]);
  return out;
}

}  // namespace dlrun::resolve
