#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dlrun::jobspec {

// Linux capability names without the CAP_ prefix, as docker's --cap-add takes them.
std::span<const std::string_view> known_capabilities();

// "sys_ptrace", "CAP_SYS_PTRACE" → "SYS_PTRACE"; unknown names → nullopt. "ALL" is kept as is.
std::optional<std::string> canonical_capability(std::string_view name);

}  // namespace dlrun::jobspec
