#include "dlrun/jobspec/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "dlrun/text.hpp"

namespace dlrun::jobspec {
namespace {

std::optional<std::int64_t> size_multiplier(std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, int>, 13> kUnits{{
      {"", 0},
      {"b", 0},
      {"k", 10},
      {"kb", 10},
      {"kib", 10},
      {"m", 20},
      {"mb", 20},
      {"mib", 20},
      {"g", 30},
      {"gb", 30},
      {"gib", 30},
      {"t", 40},
      {"tb", 40},
  }};
  if (unit == "tib") return std::int64_t{1} << 40;
  for (const auto& [name, shift] : kUnits) {
    if (unit == name) return std::int64_t{1} << shift;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_size(std::string_view text) {
  std::size_t digits_end = 0;
  while (digits_end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits_end])) || text[digits_end] == '.')) {
    ++digits_end;
  }
  if (digits_end == 0) return std::nullopt;
  double number = 0;
  const auto number_text = text.substr(0, digits_end);
  const auto [end, ec] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (ec != std::errc{} || end != number_text.data() + number_text.size()) return std::nullopt;

  std::string_view unit = text.substr(digits_end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  const auto multiplier = size_multiplier(lowercase(unit));
  if (!multiplier) return std::nullopt;

  const double bytes = std::floor(number * static_cast<double>(*multiplier));
  if (bytes <= 0 || bytes >= static_cast<double>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(bytes);
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  char previous_unit = 0;
  static constexpr std::string_view kOrder = "dhms";  // units must come largest first, once each
  while (!text.empty()) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data() || end == text.data() + text.size()) {
      return std::nullopt;
    }
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(*end)));
    const auto unit_rank = kOrder.find(unit);
    if (unit_rank == std::string_view::npos) return std::nullopt;
    if (previous_unit != 0 && unit_rank <= kOrder.find(previous_unit)) return std::nullopt;
    static constexpr std::array<std::int64_t, 4> kSeconds{86400, 3600, 60, 1};
    // A part is never negative: "1h-30m" is no duration, and "-9223372036854775808d" overflows.
    if (value < 0 || value > std::numeric_limits<std::int64_t>::max() / kSeconds[unit_rank] / 4) {
      return std::nullopt;
    }
    total += value * kSeconds[unit_rank];
    previous_unit = unit;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()) + 1);
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::seconds(total);
}

std::string format_size(std::int64_t bytes) {
  static constexpr std::array<std::pair<char, int>, 4> kUnits{
      {{'t', 40}, {'g', 30}, {'m', 20}, {'k', 10}}};
  for (const auto& [suffix, shift] : kUnits) {
    const std::int64_t unit = std::int64_t{1} << shift;
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  }
  return std::to_string(bytes) + "b";
}

std::string format_duration(std::chrono::seconds seconds) {
  std::int64_t left = seconds.count();
  std::string out;
  static constexpr std::array<std::pair<char, std::int64_t>, 4> kUnits{
      {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
  for (const auto& [suffix, unit] : kUnits) {
    if (left >= unit) {
      out += std::to_string(left / unit) + suffix;
      left %= unit;
    }
  }
  return out.empty() ? "0s" : out;
}

}  // namespace dlrun::jobspec
