#include "dlrun/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "build.hpp"
#include "clean.hpp"
#include "common.hpp"
#include "completion.hpp"
#include "dlrun/jobspec/suggest.hpp"
#include "doctor.hpp"
#include "images.hpp"
#include "jobs.hpp"
#include "manual.hpp"
#include "resolve.hpp"
#include "show.hpp"
#include "submit.hpp"
#include "train.hpp"
#include "validate.hpp"

namespace dlrun::cli {

namespace {

// The first word that is neither an option nor an option's value: the command the user named.
std::optional<std::string_view> named_command(int argc, char** argv) {
  // The global options that take a value as the next word.
  static constexpr std::array<std::string_view, 4> kWithValue{"-H", "--host", "--context",
                                                              "--log-level"};
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--") return std::nullopt;
    if (!word.starts_with('-')) return word;
    if (std::find(kWithValue.begin(), kWithValue.end(), word) != kWithValue.end()) ++i;
  }
  return std::nullopt;
}

// A word that names no command is a mistake, --help or not: CLI11 would ask for a command
// (`dlrun trian spec.json`) or print the top-level help and succeed (`dlrun pull --help`).
std::optional<Error> unknown_command(const CLI::App& app, int argc, char** argv) {
  const auto named = named_command(argc, argv);
  if (!named) return std::nullopt;
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) {
    if (command->check_name(std::string(*named))) return std::nullopt;
    if (!command->get_group().empty()) names.push_back(command->get_name());
  }
  const std::vector<std::string_view> views(names.begin(), names.end());
  const auto suggestion = jobspec::closest_match(*named, views);
  return Error{ErrorKind::usage, "unknown command '" + std::string(*named) + "'",
               (suggestion ? "did you mean '" + std::string(*suggestion) + "'? " : std::string()) +
                   "dlrun --help lists the commands"};
}

constexpr const char* kAppHelp = R"(Examples:
  dlrun validate train.json       check a job spec
  dlrun train train.json          run it on the local Docker engine, GPUs included
  dlrun train --help              options, defaults and exit codes of a run
  dlrun resolve train.json        which image a framework spec gets on this host, and why
  dlrun images                    the catalog's images: which fit this host, and why not
  dlrun build train.json          build the image of the spec's apt/pip packages (cached)
  dlrun doctor                    can this host run GPU jobs? what to fix
  dlrun clean                     remove containers left by a dlrun that was killed
  dlrun train -d train.json       start a job and leave it running; then dlrun ps, logs,
                                  attach, wait, stop, rm
  dlrun attach resnet             follow a job again (after -d, or a dropped SSH session)
  dlrun submit train.json -t 6h   run it on a Slurm cluster; dlrun ps, logs, wait take the
                                  job id it prints (docs/slurm.md)

The daemon is found as the docker CLI finds it: --context or --host, else $DOCKER_HOST
(unix://, tcp:// with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH for TLS, or ssh://user@host, which
runs `ssh host docker system dial-stdio`), else $DOCKER_CONTEXT, else the current context
(docker context use), else /var/run/docker.sock.

Spec reference: docs/spec.md. Exit codes: docs/exit-codes.md.)";
}  // namespace

int run(int argc, char** argv) {
  CLI::App app("dlrun runs GPU deep-learning training jobs in sandboxed Docker containers.",
               "dlrun");
  app.set_version_flag("--version", "dlrun " + version_text());
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: dlrun train spec.json -q
  app.footer(kAppHelp);

  GlobalOptions global;
  app.add_option("-H,--host", global.host,
                 "Docker daemon, e.g. unix:///run/user/1000/docker.sock (default: $DOCKER_HOST, "
                 "else the docker CLI's context, else /var/run/docker.sock)");
  app.add_option("--context", global.context,
                 "A docker CLI context by name (docker context ls), instead of --host");
  app.add_option("--log-level", global.log_level, "dlrun's own messages: error, warn, info, debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.add_flag("-q,--quiet", global.quiet, "Print only warnings and errors of dlrun's own");
  app.parse_complete_callback([&global] { configure_logging(global); });

  int exit_status = exit_code::ok;
  add_train_command(app, global, exit_status);
  add_build_command(app, global, exit_status);
  add_validate_command(app, global, exit_status);
  add_schema_command(app, exit_status);
  add_resolve_command(app, global, exit_status);
  add_images_command(app, global, exit_status);
  add_doctor_command(app, global, exit_status);
  add_show_command(app, exit_status);
  add_clean_command(app, global, exit_status);
  add_job_commands(app, global, exit_status);
  add_submit_command(app, global, exit_status);
  add_completion_commands(app, global, exit_status);  // these two describe the others
  add_manual_command(app, exit_status);

  if (auto unknown = unknown_command(app, argc, argv)) return report(*unknown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? exit_code::ok : exit_code::usage;
  }
  return exit_status;
}

}  // namespace dlrun::cli
