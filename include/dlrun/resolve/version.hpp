#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlrun::resolve {

// A dotted numeric version ("12.4", "550.54.14"). Trailing zero components do not count:
// 12.4 == 12.4.0, as NVIDIA's toolkit compares them.
class Version {
 public:
  static std::optional<Version> parse(std::string_view text);
  Version() = default;  // 0
  explicit Version(std::vector<int> parts) : parts_(std::move(parts)) {}

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return (*this <=> other) == 0; }

  int major() const { return parts_.empty() ? 0 : parts_[0]; }
  int minor() const { return parts_.size() < 2 ? 0 : parts_[1]; }
  // The first `count` components: Version("12.4.1").prefix(2) is 12.4.
  Version prefix(std::size_t count) const;
  // As written when parsed ("520.61.05" keeps its zero), else joined from the components.
  std::string to_string() const;

 private:
  std::vector<int> parts_;
  std::string text_;
};

}  // namespace dlrun::resolve
