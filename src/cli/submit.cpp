#include "submit.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/process.hpp"
#include "dlrun/run/slurm/slurm_batch.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"

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

std::filesystem::path this_program() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("dlrun") : path;
}

// sbatch's message, which says what it refused ("sbatch: error: Batch job submission failed:
// Requested node configuration is not available").
std::string sbatch_words(const CapturedRun& ran) {
  std::string words = ran.err.empty() ? ran.out : ran.err;
  while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) words.pop_back();
  return words;
}

Result<int> run_submit(SubmitCommand command, const GlobalOptions& global) {
  auto loaded = jobspec::load_job_spec(command.spec_file);
  if (!loaded) return std::unexpected(loaded.error());
  const jobspec::JobSpec& spec = loaded->spec;
  const std::filesystem::path spec_file = std::filesystem::absolute(command.spec_file);
  if (!global.host.empty()) command.options.dlrun_options = {"--host", global.host};
  if (!global.context.empty()) command.options.dlrun_options = {"--context", global.context};
  auto dir = run::submitted_jobs_dir(process_environment());
  if (!dir) return std::unexpected(dir.error());

  if (command.dry_run) {
    auto job = run::batch_job(spec, spec_file, this_program(), command.options, *dir, "SCRIPT");
    if (!job) return std::unexpected(job.error());
    std::fputs(job->script.c_str(), stdout);
    std::string line;
    for (const auto& word : job->sbatch_command) line += (line.empty() ? "" : " ") + word;
    std::printf("\nsubmitted with: %s\n", line.c_str());
    return exit_code::ok;
  }

  std::error_code ec;
  std::filesystem::create_directories(*dir, ec);
  const std::filesystem::path script_file =
      *dir / ("submitting-" + std::to_string(getpid()) + ".sh");
  auto job = run::batch_job(spec, spec_file, this_program(), command.options, *dir, script_file);
  if (!job) return std::unexpected(job.error());
  if (!write_file_atomically(script_file, job->script)) {
    return fail(ErrorKind::io, "cannot write the batch script in " + dir->string(),
                "check that the directory is writable, or set XDG_STATE_HOME to one that is");
  }
  const CapturedRun ran = run_captured(job->sbatch_command);
  if (ran.exit_code != 0) {
    std::filesystem::remove(script_file, ec);
    if (ran.exit_code < 0) {
      return fail(ErrorKind::slurm, "cannot run sbatch: it is not on PATH",
                  "submit from a machine of the Slurm cluster (a login node), where sbatch is");
    }
    return fail(ErrorKind::slurm, "sbatch refused the job: " + sbatch_words(ran),
                "check the partition, time and GPUs asked for against the cluster (sinfo); "
                "dlrun submit --dry-run shows the script");
  }
  // --parsable: "JOBID" or "JOBID;CLUSTER".
  const std::string id = ran.out.substr(0, ran.out.find_first_of(";\n"));
  std::filesystem::rename(script_file, *dir / (id + ".sh"), ec);
  run::SubmittedJob submitted{
      .id = id,
      .name = spec.name,
      .spec = spec_file.string(),
      .output = *dir / (id + ".out"),
      .submitted = static_cast<std::int64_t>(std::time(nullptr)),
      .nodes = command.options.nodes.value_or(spec.distributed ? spec.distributed->nodes : 1)};
  // Where Slurm says the output goes: an --output among --sbatch-arg wins over the script's.
  if (auto status = run::slurm_job_status(*dir, submitted); status && !status->output.empty()) {
    submitted.output = status->output;
  }
  if (auto remembered = run::remember_submitted(*dir, submitted); !remembered) {
    (void)report(remembered.error());
  }
  if (command.output == "json") {
    const nlohmann::ordered_json out{{"job_id", id},
                                     {"name", submitted.name},
                                     {"spec", submitted.spec},
                                     {"script", (*dir / (id + ".sh")).string()},
                                     {"output", submitted.output.string()}};
    std::printf("%s\n", json_text(out).c_str());
  } else {
    std::printf("%s\n", id.c_str());
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
