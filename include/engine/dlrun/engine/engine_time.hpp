#pragma once

#include <optional>
#include <string_view>

namespace dlrun::engine {

// Seconds since the epoch of an RFC 3339 time as the daemon writes it; nullopt for its zero time.
std::optional<double> parse_engine_time(std::string_view text);

}  // namespace dlrun::engine
