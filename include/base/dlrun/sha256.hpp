#pragma once

#include <string>
#include <string_view>

namespace dlrun {

// "sha256:<hex>" of `bytes`: labels each container with the exact spec text it ran.
std::string sha256_digest(std::string_view bytes);

}  // namespace dlrun
