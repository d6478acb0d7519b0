#include "dlrun/engine/engine_time.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

namespace dlrun::engine {

std::optional<double> parse_engine_time(std::string_view text) {
  std::tm parts{};
  int consumed = 0;
  const std::string copy(text);
  // RFC 3339's widths: a longer number would overflow the int it is read into.
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6)
    return std::nullopt;
  if (parts.tm_year <= 1) return std::nullopt;  // "0001-01-01T00:00:00Z": not yet
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&parts));
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  if (rest.starts_with('.')) {
    double scale = 0.1;
    for (rest.remove_prefix(1); !rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]));
         rest.remove_prefix(1), scale /= 10) {
      seconds += (rest[0] - '0') * scale;
    }
  }
  return seconds;  // the daemon writes UTC ("Z")
}

}  // namespace dlrun::engine
