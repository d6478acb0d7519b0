#include "submit.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/run/commands/submit.hpp"
#include "dlrun/text.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kSubmitHelp = R"(Examples:
  dlrun submit train.json                        one node, the GPUs the spec asks for
  dlrun submit train.json --partition gpu --time 6h --gpus-per-node 4
  dlrun submit ddp.json --nodes 2 --gpus-per-node 8
                                                 one dlrun train per node, wired for torchrun
  dlrun submit train.json --dry-run              print the batch script; submit nothing
  dlrun submit train.json --sbatch-arg=--qos=high --sbatch-arg=--mail-type=END

Then, with the job id it prints:
  dlrun ps                  your submitted jobs beside your local ones (pending, running, …)
  dlrun logs -f 4242        the job's output as Slurm writes it
  dlrun wait 4242           its exit code: the job's own, 124 time limit, 143 cancelled
  dlrun stop 4242           scancel: each node's container is stopped and removed

The batch script runs `srun dlrun train SPEC` once per node, with this dlrun and the spec's
absolute path (both must be reachable on the nodes), in this environment (sbatch passes it
on: DOCKER_HOST, …). GPUs per node: --gpus-per-node, else the spec's "distributed"
gpus_per_node, else its "gpus": a count asks for that many (--gres=gpu:N), "all" for whole
nodes (--exclusive: Slurm gives the job every GPU of them). On the nodes, dlrun train holds
the container to what Slurm gave, and stops it on scancel or at the time limit.

The job's output and dlrun's record of it are kept in $XDG_STATE_HOME/dlrun/slurm
(~/.local/state/dlrun/slurm), which must be a directory the nodes share (a home directory
usually is). --time takes Slurm's forms (90, 1:30:00, 2-00:00:00) or dlrun's (6h, 1h30m).

Exit codes: 0 submitted (the job id on stdout); 2 bad spec or flags; 125 sbatch refused the
job or Slurm's commands are missing (the error says which).)";

struct SubmitCommand {
  std::string spec_file;
  run::SubmitOptions options;
  bool dry_run = false;
  std::string output = "text";
};

Result<int> run_submit(SubmitCommand command, const GlobalOptions& global) {
  // The nodes reach the same engine as this command would.
  if (!global.host.empty()) command.options.dlrun_options = {"--host", global.host};
  if (!global.context.empty()) command.options.dlrun_options = {"--context", global.context};
  const run::SubmitRequest request{.spec_file = command.spec_file, .options = command.options};
  if (command.dry_run) {
    auto job = run::plan_submission(request, process_environment());
    if (!job) return std::unexpected(job.error());
    std::fputs(job->script.c_str(), stdout);
    std::printf("\nsubmitted with: %s\n", joined(job->sbatch_command).c_str());
    return exit_code::ok;
  }
  auto submitted = run::submit(request, process_environment());
  if (!submitted) return std::unexpected(submitted.error());
  const run::SubmittedJob& job = submitted->job;
  if (command.output == "json") {
    const nlohmann::ordered_json out{{"job_id", job.id},
                                     {"name", job.name},
                                     {"spec", job.spec},
                                     {"script", submitted->script.string()},
                                     {"output", job.output.string()}};
    std::printf("%s\n", json_text(out).c_str());
  } else {
    std::printf("%s\n", job.id.c_str());
  }
  return exit_code::ok;
}

}  // namespace

void add_submit_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto command = std::make_shared<SubmitCommand>();
  CLI::App* submit =
      app.add_subcommand("submit", "Submit a spec to Slurm: dlrun train on each node it gives");
  submit->add_option("spec", command->spec_file, "Job spec file (JSON, docs/spec.md)")->required();
  submit->add_option("-p,--partition", command->options.partition, "The Slurm partition");
  submit->add_option("-t,--time", command->options.time,
                     "Time limit: Slurm's forms (90, 1:30:00, 2-00) or 6h, 1h30m");
  submit
      ->add_option("-N,--nodes", command->options.nodes,
                   "Nodes (overrides the spec's \"distributed\".nodes)")
      ->check(CLI::Range(1, 4096));
  submit
      ->add_option("--gpus-per-node", command->options.gpus_per_node,
                   "GPUs to ask for on each node (default: from the spec)")
      ->check(CLI::Range(0, 1024));
  submit->add_option("-A,--account", command->options.account, "The Slurm account to charge");
  submit
      ->add_option("--sbatch-arg", command->options.sbatch_args,
                   "Pass an option to sbatch as it is: --sbatch-arg=--qos=high (repeatable)")
      ->allow_extra_args(false);
  submit->add_flag("--dry-run", command->dry_run,
                   "Print the batch script and the sbatch line; submit nothing");
  add_output_option(*submit, command->output,
                    "one object: {\"job_id\", \"name\", \"spec\", \"script\", \"output\"}");
  submit->footer(kSubmitHelp);
  submit->callback([command, &global, &exit_status] {
    auto result = run_submit(*command, global);
    exit_status = result ? *result : report(result.error());
  });
}

}  // namespace dlrun::cli
