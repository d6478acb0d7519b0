#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dlrun {

enum class Base64Alphabet { standard, url_safe };

// RFC 4648 with padding; url_safe uses '-' and '_' (what X-Registry-Auth must be).
std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet);

// Accepts either alphabet, padded or not; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dlrun
