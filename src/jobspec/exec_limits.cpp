#include "dlrun/jobspec/exec_limits.hpp"

#include <variant>
#include <vector>

#include "dlrun/text.hpp"

namespace dlrun::jobspec {
namespace {

constexpr std::string_view kLargeDataHint =
    "pass large data in a file the job reads (a mount, or a file under outputs), and its path "
    "here";

// Where the command's strings are in the spec, and what they are.
struct ExecString {
  std::string path;
  std::string text;
};

std::vector<ExecString> command_strings(const JobSpec& spec) {
  std::vector<ExecString> strings;
  if (const auto* argv = std::get_if<CommandArgv>(&spec.command)) {
    for (std::size_t i = 0; i < argv->argv.size(); ++i)
      strings.push_back({"command[" + std::to_string(i) + "]", argv->argv[i]});
  } else if (const auto* shell = std::get_if<CommandShell>(&spec.command)) {
    // /bin/sh -c SCRIPT: the script is one argument.
    strings.push_back({"command", shell->script});
  }
  return strings;
}

}  // namespace

Result<void> check_exec_string(std::string_view path, std::string_view what,
                               std::string_view text) {
  if (text.size() + 1 <= kMaxExecString) return {};
  return fail(ErrorKind::spec,
              std::string(path) + " is " + format_bytes(static_cast<std::int64_t>(text.size())) +
                  ", more than Linux starts a program with for one " + std::string(what) +
                  " (128 KiB, MAX_ARG_STRLEN)",
              std::string(kLargeDataHint));
}

Result<void> check_exec_sizes(const JobSpec& spec) {
  // Each string, and its pointer, as execve counts them.
  std::size_t total = 0;
  for (const auto& [path, text] : command_strings(spec)) {
    if (auto fits = check_exec_string(path, "argument", text); !fits) return fits;
    total += text.size() + 1 + sizeof(char*);
  }
  for (const auto& var : spec.env) {
    const auto* literal = std::get_if<LiteralValue>(&var.value);
    if (literal == nullptr) continue;  // from the host: checked when it is read
    const std::string assignment = var.name + "=" + literal->value;
    if (auto fits = check_exec_string("env." + var.name, "variable", assignment); !fits)
      return fits;
    total += assignment.size() + 1 + sizeof(char*);
  }
  if (total <= kMaxExecTotal) return {};
  return fail(ErrorKind::spec,
              "the command and env are " + format_bytes(static_cast<std::int64_t>(total)) +
                  " together, more than Linux starts a program with (6 MiB at most; 2 MiB "
                  "under an 8 MB stack limit)",
              std::string(kLargeDataHint));
}

}  // namespace dlrun::jobspec
