#include "clean.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/job/orphans.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kCleanHelp = R"(Examples:
  dlrun clean                 remove the finished containers of dlruns that were killed
  dlrun clean --running       and stop and remove the ones still running
  dlrun clean --dry-run       only list them

dlrun removes its container on every way out it can see: the job's end, a timeout, Ctrl-C,
SIGTERM. A lost terminal (SIGHUP) leaves the job running on purpose, its container renamed
…-detached: that is a detached job, not an orphan (dlrun ps, attach, rm). A dlrun killed outright (kill -9, the OOM killer, a CI runner torn down)
cannot; its container stays, labelled with the process that owned it. `dlrun train` removes
such containers once they have finished; `dlrun clean --running` also stops the ones whose job
still runs with nobody watching it. Only containers of dlruns on this host whose process is
gone are touched (another host's, on a shared engine, are left alone).
On a Slurm cluster, a running orphan whose Slurm job is over is stopped and removed too
(Slurm gives its GPUs to other jobs), and `dlrun clean --slurm-job $SLURM_JOB_ID` in the
nodes' Slurm Epilog removes every container of the job that just ended, whoever started it.
--output json prints one array of {"id", "container", "job", "running", "action"}.

Exit codes: 0 done (or nothing to do); 125 the engine failed (the error says what to do).)";

}  // namespace

void add_clean_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<CleanOptions>();
  CLI::App* clean = app.add_subcommand(
      "clean", "Remove containers left behind by a dlrun that was killed (kill -9)");
  clean->add_flag("--running", options->running, "Also stop and remove those whose job still runs");
  clean->add_flag("--dry-run", options->dry_run, "List them, remove nothing");
  clean->add_option("--slurm-job", options->slurm_job,
                    "Instead: every container of this Slurm job (for Slurm's Epilog)");
  clean->footer(kCleanHelp);
  add_output_option(*clean, options->output, "one array of {id, container, job, running, action}");
  clean->callback([options, &global, &exit_status] {
    auto result = run_clean(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_clean(const CleanOptions& options, const GlobalOptions& global) {
  if (!options.slurm_job.empty() &&
      options.slurm_job.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorKind::usage, "--slurm-job " + options.slurm_job + " is not a Slurm job id",
                "give the job's number, as $SLURM_JOB_ID holds it");
  }
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  bool any = false;
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  const bool json = options.output == "json";
  auto cleaned = run::clean_orphans(
      *client, options.running ? run::RunningOrphans::stop : run::RunningOrphans::leave,
      options.dry_run ? run::CleanMode::dry_run : run::CleanMode::remove,
      [&](const run::Cleaned& cleaned_one) {
        any = true;
        const std::string what = run::describe(cleaned_one.orphan);
        const bool running = cleaned_one.orphan.running;
        if (json) {
          using Action = run::Cleaned::Action;
          report.push_back(
              {{"id", cleaned_one.orphan.id},
               {"container", cleaned_one.orphan.name},
               {"job", cleaned_one.orphan.job},
               {"running", running},
               {"action", cleaned_one.action == Action::removed        ? "removed"
                          : cleaned_one.action == Action::would_remove ? "would_remove"
                                                                       : "left_running"}});
          return;
        }
        switch (cleaned_one.action) {
          case run::Cleaned::Action::left_running:
            std::printf("left %s: still running (its dlrun was killed); --running stops it\n",
                        what.c_str());
            break;
          case run::Cleaned::Action::would_remove:
            std::printf("would remove %s%s\n", what.c_str(), running ? ", stopping its job" : "");
            break;
          case run::Cleaned::Action::removed:
            std::printf("removed %s%s\n", what.c_str(), running ? ", its job stopped" : "");
            break;
        }
      },
      options.slurm_job);
  if (!cleaned) return std::unexpected(cleaned.error());
  if (json) {
    std::printf("%s\n", json_text(report).c_str());
  } else if (!any) {
    std::printf("nothing to clean\n");
  }
  return exit_code::ok;
}

}  // namespace dlrun::cli
