#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

// Small text helpers that several layers need.
namespace dlrun {

// ASCII lowercase: header names, units, the toolkit's words.
std::string lowercase(std::string_view text);

// The words with `separator` between them.
// `when` in UTC: a day ("2026-12-08"), or an RFC 3339 time ("2026-12-08T01:50:00Z").
enum class UtcForm { day, time };
std::string utc_text(std::time_t when, UtcForm form);

std::string joined(const std::vector<std::string>& words, std::string_view separator = " ");

// The parts of `text` between each `separator`, empty ones included.
std::vector<std::string> split(std::string_view text, char separator);

// "1.5 GB", "512.0 MB", "900 B": decimal units, as registries and `docker images` show sizes.
std::string format_bytes(std::int64_t bytes);

// std::visit with one lambda per alternative.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace dlrun
