#include "manual.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "completion.hpp"
#include "dlrun/user_files.hpp"
#include "dlrun/version.hpp"

namespace dlrun::cli {
namespace {

// Text as roff reads it literally: backslashes escaped, minus signs as such, no line taken for
// a request (a leading '.' or '), and characters beyond ASCII as \[uXXXX], which every man
// viewer renders whatever its locale.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // UTF-8: a lead byte and its continuation bytes, as one code point.
      const int length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      unsigned code = c & (0x7F >> length);
      for (int k = 1; k < length && i + 1 < text.size(); ++k) {
        code = (code << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      }
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "\\[u%04X]", code);
      out += escaped;
    }
  }
  return out;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string option_names(const CLI::Option& option) {
  std::string names;
  for (const auto& name : option.get_snames()) names += (names.empty() ? "-" : ", -") + name;
  for (const auto& name : option.get_lnames()) names += (names.empty() ? "--" : ", --") + name;
  return names;
}

// One page: NAME, SYNOPSIS, OPTIONS, then the command's own help text (examples, exit codes)
// as it is written, and SEE ALSO.
std::string page(const CLI::App& command, const std::string& title, const std::string& synopsis,
                 const std::vector<const CLI::App*>& related) {
  std::ostringstream out;
  out << ".TH " << upper(title) << " 1 \"\" \"dlrun " << kVersion << "\" \"dlrun manual\"\n"
      << ".SH NAME\n"
      << roff(title) << " \\- " << roff(command.get_description()) << "\n"
      << ".SH SYNOPSIS\n"
      << ".B " << roff(synopsis) << "\n";
  std::vector<const CLI::Option*> positionals;
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_lnames().empty() && option->get_snames().empty()) positionals.push_back(option);
  }
  out << "[\\fIOPTIONS\\fR]";
  for (const CLI::Option* positional : positionals) {
    out << " " << (positional->get_required() ? "\\fI" : "[\\fI")
        << roff(upper(positional->get_name(true)))
        << (positional->get_required() ? "\\fR" : "\\fR]");
  }
  out << "\n.SH OPTIONS\n";
  for (const CLI::Option* option : command.get_options()) {
    out << ".TP\n.B "
        << roff(option->get_lnames().empty() && option->get_snames().empty()
                    ? upper(option->get_name(true))
                    : option_names(*option));
    if (option->get_items_expected_max() > 0 &&
        !(option->get_lnames().empty() && option->get_snames().empty())) {
      out << " \\fI" << roff(option->get_type_name()) << "\\fR";
    }
    out << "\n" << roff(option->get_description()) << "\n";
  }
  if (!command.get_footer().empty()) {
    out << ".SH DESCRIPTION\n.nf\n" << roff(command.get_footer()) << "\n.fi\n";
  }
  if (!related.empty()) {
    out << ".SH SEE ALSO\n";
    for (std::size_t i = 0; i < related.size(); ++i) {
      const std::string name =
          related[i]->get_parent() == nullptr ? "dlrun" : "dlrun-" + related[i]->get_name();
      out << ".BR " << roff(name) << " (1)" << (i + 1 < related.size() ? ",\n" : "\n");
    }
  }
  return out.str();
}

Result<void> write(const std::filesystem::path& file, const std::string& text) {
  std::error_code ignored;
  std::filesystem::create_directories(file.parent_path(), ignored);
  if (!write_file_atomically(file, text)) {
    return fail(ErrorKind::io, "could not write " + file.string(),
                "check that the directory is writable");
  }
  return {};
}

}  // namespace

Result<void> write_installed_files(const CLI::App& app, const std::filesystem::path& directory) {
  const auto commands = app.get_subcommands([](const CLI::App* sub) {
    return !sub->get_name().empty() && !sub->get_name().starts_with("__");
  });
  const auto man = directory / "man/man1";
  if (auto written = write(man / "dlrun.1", page(app, "dlrun", "dlrun COMMAND", commands));
      !written) {
    return written;
  }
  for (const CLI::App* command : commands) {
    const std::string name = "dlrun-" + command->get_name();
    if (auto written = write(man / (name + ".1"),
                             page(*command, name, "dlrun " + command->get_name(), {&app}));
        !written) {
      return written;
    }
  }
  for (const auto& [shell, file] : {std::pair{"bash", "bash-completion/completions/dlrun"},
                                    std::pair{"zsh", "zsh/vendor-completions/_dlrun"},
                                    std::pair{"fish", "fish/vendor_completions.d/dlrun.fish"}}) {
    if (auto written = write(directory / file, completion_script(app, shell)); !written) {
      return written;
    }
  }
  return {};
}

void add_manual_command(CLI::App& app, int& exit_status) {
  auto directory = std::make_shared<std::string>();
  // For the build (cmake --install): man pages and completion scripts under DIR/share's layout.
  CLI::App* generate = app.add_subcommand("__write-installed-files", "");
  generate->group("");
  generate->add_option("directory", *directory)->required();
  generate->callback([&app, directory, &exit_status] {
    auto written = write_installed_files(app, *directory);
    exit_status = written ? exit_code::ok : report(written.error());
  });
}

}  // namespace dlrun::cli
