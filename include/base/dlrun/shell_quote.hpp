#pragma once

#include <string>
#include <string_view>

namespace dlrun {

// Quotes `word` for a POSIX shell, leaving plain words bare.
std::string shell_quote(std::string_view word);

}  // namespace dlrun
