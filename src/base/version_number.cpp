#include "dlrun/version_number.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace dlrun {

std::optional<Version> Version::parse(std::string_view text) {
  const std::string_view original = text;
  std::vector<int> parts;
  std::optional<int> post;
  const auto number = [&]() -> std::optional<int> {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data() || value < 0) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
  };
  while (true) {
    if (!parts.empty() && text.starts_with("post")) {
      text.remove_prefix(4);
      post = number();
      if (!post || !text.empty()) return std::nullopt;
      break;
    }
    const auto value = number();
    if (!value) return std::nullopt;
    parts.push_back(*value);
    if (text.empty()) break;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  Version version(std::move(parts));
  version.post_ = post;
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
  // The release, then its post-releases in order.
  return post_.value_or(-1) <=> other.post_.value_or(-1);
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
  if (post_) out += ".post" + std::to_string(*post_);
  return out;
}

std::optional<VersionConstraint> VersionConstraint::parse(std::string_view text) {
  VersionConstraint constraint;
  constraint.text_ = std::string(text);
  std::stringstream parts{std::string(text)};
  std::string part;
  while (std::getline(parts, part, ',')) {
    part.erase(std::remove(part.begin(), part.end(), ' '), part.end());
    std::string op = "=";
    for (const char* candidate : {">=", "<=", "==", ">", "<", "="}) {
      if (part.starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    const std::size_t skip =
        part.starts_with(op) && op != "=" ? op.size() : (part.starts_with("=") ? 1 : 0);
    if (op == "==") op = "=";
    auto version = Version::parse(std::string_view(part).substr(skip));
    if (!version) return std::nullopt;
    constraint.bounds_.push_back({op, *version});
  }
  if (constraint.bounds_.empty()) return std::nullopt;
  return constraint;
}

bool VersionConstraint::allows(const Version& version) const {
  for (const auto& bound : bounds_) {
    const auto& wanted = bound.version;
    // A post-release counts as its release (a rebuild of it), unless one is asked for by name:
    // <=2.15.0 takes in 2.15.0.post1, >2.15.0 does not.
    const Version compared = wanted.post() ? version : version.prefix(version.components());
    bool ok = true;
    if (bound.op == "=") {
      // As many components as were written: 2.3 allows 2.3.1, 2.3.1 allows only itself (and
      // its rebuilds), 2.3.1.post1 only itself.
      ok = wanted.post() ? version == wanted : compared.prefix(wanted.components()) == wanted;
    } else if (bound.op == ">=") {
      ok = compared >= wanted;
    } else if (bound.op == "<=") {
      ok = compared <= wanted;
    } else if (bound.op == ">") {
      ok = compared > wanted;
    } else {
      ok = compared < wanted;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace dlrun
