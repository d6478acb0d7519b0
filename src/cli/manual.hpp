#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>

#include "common.hpp"

namespace dlrun::cli {

// Man pages (dlrun(1), dlrun-train(1), …) from the same help text --help prints, and the shell
// completion scripts, in the layout of DIR = $prefix/share: man/man1/,
// bash-completion/completions/, zsh/vendor-completions/, fish/vendor_completions.d/.
Result<void> write_installed_files(const CLI::App& app, const std::filesystem::path& directory);

// The hidden `__write-installed-files DIR` the build runs for `cmake --install`. Add it last.
void add_manual_command(CLI::App& app, int& exit_status);

}  // namespace dlrun::cli
