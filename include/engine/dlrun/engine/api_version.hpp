#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace dlrun::engine {

struct ApiVersion {
  int major = 1;
  int minor = 0;

  auto operator<=>(const ApiVersion&) const = default;
  std::string to_string() const { return std::to_string(major) + "." + std::to_string(minor); }
};

std::optional<ApiVersion> parse_api_version(std::string_view text);

// The newest API dlrun was tested against; negotiation only ever goes down from here.
inline constexpr ApiVersion kClientMaxApi{1, 47};
// DeviceRequests (GPU requests) arrived in API 1.40, Docker 19.03.
inline constexpr ApiVersion kMinimumApi{1, 40};

}  // namespace dlrun::engine
