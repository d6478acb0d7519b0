#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlrun {

// A dotted numeric version ("12.4", "550.54.14"). Trailing zero components do not count:
// 12.4 == 12.4.0, as NVIDIA's toolkit compares them. A post-release (PEP 440's ".postN", as in
// TensorFlow's 2.15.0.post1 rebuild) orders after its release and is one of it: its prefix and
// an exact "2.15.0" take it in.
class Version {
 public:
  static std::optional<Version> parse(std::string_view text);
  Version() = default;  // 0
  explicit Version(std::vector<int> parts) : parts_(std::move(parts)) {}

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return (*this <=> other) == 0; }

  int major() const { return parts_.empty() ? 0 : parts_[0]; }
  // N of ".postN"; nullopt for a release itself.
  std::optional<int> post() const { return post_; }
  // How many numeric components it was written with: 3 for "2.15.0" and "2.15.0.post1".
  std::size_t components() const { return parts_.size(); }
  int minor() const { return parts_.size() < 2 ? 0 : parts_[1]; }
  // The first `count` components: Version("12.4.1").prefix(2) is 12.4.
  Version prefix(std::size_t count) const;
  // As written when parsed ("520.61.05" keeps its zero), else joined from the components.
  std::string to_string() const;

 private:
  std::vector<int> parts_;
  std::optional<int> post_;
  std::string text_;
};

// "2.3" (any 2.3.x), "2.3.1" (exactly), ">=2.1,<2.4" (all of them).
class VersionConstraint {
 public:
  static std::optional<VersionConstraint> parse(std::string_view text);
  bool allows(const Version& version) const;
  const std::string& text() const { return text_; }

 private:
  struct Bound {
    std::string op;  // "=" means a prefix match: 2.3 allows 2.3.1
    Version version;
  };
  std::vector<Bound> bounds_;
  std::string text_;
};

}  // namespace dlrun
