#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dlrun::jobspec {

// "16g", "512MiB", "1.5G", "1073741824" → bytes. Units are binary (k = 1024), as in docker.
std::optional<std::int64_t> parse_size(std::string_view text);

// "6h", "1h30m", "90s", "2d" → seconds. Zero is not a duration.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// Bytes as the shortest exact docker-style size ("8g", "512m", "1000b").
std::string format_size(std::int64_t bytes);

// Seconds as "1h30m", "45s".
std::string format_duration(std::chrono::seconds seconds);

}  // namespace dlrun::jobspec
