#include "dlrun/run/plan/timeout_program.hpp"

#include <cstdint>

#include "dlrun/tar.hpp"

// The program's bytes, assembled into this object file from the build's own dlrun-timeout.
asm(".section .rodata\n"
    ".balign 16\n"
    ".global dlrun_timeout_program_begin\n"
    "dlrun_timeout_program_begin:\n"
    ".incbin \"" DLRUN_TIMEOUT_PROGRAM
    "\"\n"
    ".global dlrun_timeout_program_end\n"
    "dlrun_timeout_program_end:\n"
    ".previous\n");
// NOLINTBEGIN(readability-identifier-naming): the names the assembler above defines.
extern "C" const char dlrun_timeout_program_begin[];
extern "C" const char dlrun_timeout_program_end[];
// NOLINTEND(readability-identifier-naming)

namespace dlrun::run {

std::string_view timeout_program_architecture() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

const std::string& timeout_program_archive() {
  static const std::string archive = tar_archive({
      {.path = std::string(kTimeoutProgramDirectory.substr(1)), .mode = 0755, .directory = true},
      {.path = std::string(kTimeoutProgramPath.substr(1)),
       .mode = 0755,
       .contents =
           std::string_view(dlrun_timeout_program_begin,
                            // As addresses: the two symbols are different objects to the compiler.
                            reinterpret_cast<std::uintptr_t>(dlrun_timeout_program_end) -
                                reinterpret_cast<std::uintptr_t>(dlrun_timeout_program_begin))},
  });
  return archive;
}

std::vector<std::string> deadline_entrypoint(std::chrono::seconds timeout, int grace_seconds,
                                             const std::vector<std::string>& image_entrypoint) {
  std::vector<std::string> entrypoint{std::string(kTimeoutProgramPath),
                                      std::to_string(timeout.count()),
                                      std::to_string(grace_seconds), "--"};
  entrypoint.insert(entrypoint.end(), image_entrypoint.begin(), image_entrypoint.end());
  return entrypoint;
}

}  // namespace dlrun::run
