#include "dlrun/version_number.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace dlrun {

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
    bool ok = true;
    if (bound.op == "=") {
      // As many components as were written: 2.3 allows 2.3.1, 2.3.1 allows only itself.
      const std::string wanted_text = wanted.to_string();
      const auto written =
          static_cast<std::size_t>(std::count(wanted_text.begin(), wanted_text.end(), '.')) + 1;
      ok = version.prefix(written) == wanted;
    } else if (bound.op == ">=") {
      ok = version >= wanted;
    } else if (bound.op == "<=") {
      ok = version <= wanted;
    } else if (bound.op == ">") {
      ok = version > wanted;
    } else {
      ok = version < wanted;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace dlrun
