#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"

// What Linux starts a program with (execve): each argument and each NAME=value string at most
// MAX_ARG_STRLEN, and all of them together at most a quarter of the stack limit, never above
// three quarters of 8 MiB. A job over them fails late, in the engine's or the kernel's words
// ("argument list too long"); dlrun refuses it when the spec is read.
namespace dlrun::jobspec {

inline constexpr std::size_t kMaxExecString = 128 * 1024;      // MAX_ARG_STRLEN, its NUL included
inline constexpr std::size_t kMaxExecTotal = 6 * 1024 * 1024;  // 3/4 of _STK_LIM (8 MiB)

// `text` (an argument, or NAME=value) at `path` within MAX_ARG_STRLEN; `what` is "argument" or
// "variable".
Result<void> check_exec_string(std::string_view path, std::string_view what, std::string_view text);

// The command and the literal variables of `spec`, each and together, within Linux's limits:
// the first field that is not, with its size and the limit.
Result<void> check_exec_sizes(const JobSpec& spec);

}  // namespace dlrun::jobspec
