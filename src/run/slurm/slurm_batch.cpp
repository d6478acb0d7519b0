#include "dlrun/run/slurm/slurm_batch.hpp"

#include <regex>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/shell_quote.hpp"

namespace dlrun::run {
namespace {

// How many GPUs per node to ask Slurm for: "--gres=gpu:N", "--exclusive" for every GPU of the
// node, or nothing.
Result<std::string> gpu_request(const jobspec::JobSpec& spec, const SubmitOptions& options) {
  std::optional<int> per_node = options.gpus_per_node;
  if (!per_node && spec.distributed) per_node = spec.distributed->gpus_per_node;
  if (const auto* count = std::get_if<jobspec::GpuCount>(&spec.gpus);
      count && per_node && count->count > *per_node) {
    return fail(ErrorKind::usage,
                "the job asks for " + std::to_string(count->count) + " GPUs, but would be given " +
                    std::to_string(*per_node) + " per node",
                "ask Slurm for at least " + std::to_string(count->count) +
                    " (--gpus-per-node), or fewer in the spec's \"gpus\"");
  }
  if (per_node) return *per_node == 0 ? std::string() : "--gres=gpu:" + std::to_string(*per_node);
  if (std::holds_alternative<jobspec::GpuNone>(spec.gpus)) return std::string();
  if (const auto* count = std::get_if<jobspec::GpuCount>(&spec.gpus)) {
    return "--gres=gpu:" + std::to_string(count->count);
  }
  if (std::holds_alternative<jobspec::GpuAll>(spec.gpus)) return std::string("--exclusive");
  return fail(
      ErrorKind::usage,
      "the spec names GPUs by id, but on a Slurm cluster Slurm chooses which GPUs a job "
      "gets",
      "ask for a count instead: \"gpus\": 2 in the spec, or dlrun submit --gpus-per-node 2");
}

// sbatch's #SBATCH lines are read up to the first command; a value is one shell word.
void directive(std::string& script, const std::string& option) {
  script += "#SBATCH " + option + "\n";
}

}  // namespace

Result<std::string> slurm_time_limit(std::string_view text) {
  // minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes,
  // days-hours:minutes:seconds
  static const std::regex slurm_form(R"((\d+(:\d{1,2}){0,2})|(\d+-\d{1,2}(:\d{1,2}){0,2}))");
  std::string given(text);
  if (given == "UNLIMITED" || given == "INFINITE" || std::regex_match(given, slurm_form)) {
    return given;
  }
  auto duration = jobspec::read_duration(text);
  if (!duration || duration->count() <= 0) {
    return fail(ErrorKind::usage, "--time " + given + " is not a time limit",
                "give Slurm's form (90 minutes, 1:30:00, 2-00:00:00) or a duration (6h, 1h30m)");
  }
  const long long seconds = duration->count();
  char formatted[64];
  std::snprintf(formatted, sizeof formatted, "%lld-%02lld:%02lld:%02lld", seconds / 86400,
                seconds % 86400 / 3600, seconds % 3600 / 60, seconds % 60);
  return std::string(formatted);
}

Result<BatchJob> batch_job(const jobspec::JobSpec& spec, const std::filesystem::path& spec_file,
                           const std::filesystem::path& dlrun_binary, const SubmitOptions& options,
                           const std::filesystem::path& records_dir,
                           const std::filesystem::path& script_file) {
  auto gpus = gpu_request(spec, options);
  if (!gpus) return std::unexpected(gpus.error());
  const int nodes = options.nodes.value_or(spec.distributed ? spec.distributed->nodes : 1);

  std::string script = "#!/bin/sh\n";
  script += "# Written by dlrun submit: the job " + spec_file.filename().string() +
            " describes, run by dlrun train once on each node.\n";
  directive(script, "--job-name=" + shell_quote(spec.name));
  directive(script, "--output=" + shell_quote((records_dir / "%j.out").string()));
  directive(script, "--nodes=" + std::to_string(nodes));
  directive(script, "--ntasks-per-node=1");
  if (!gpus->empty()) directive(script, *gpus);
  if (!options.partition.empty())
    directive(script, "--partition=" + shell_quote(options.partition));
  if (!options.time.empty()) {
    auto time = slurm_time_limit(options.time);
    if (!time) return std::unexpected(time.error());
    directive(script, "--time=" + *time);
  }
  if (!options.account.empty()) directive(script, "--account=" + shell_quote(options.account));

  // srun starts one dlrun per node; each learns its rank and the first node from Slurm. The
  // script's exit code is srun's (the highest of the nodes'); it is kept for `dlrun wait` after
  // Slurm has forgotten the job (clusters without accounting). A job Slurm stops (scancel, the
  // time limit) ends the script too, and Slurm's own record says why.
  std::string train = "srun --kill-on-bad-exit=1 " + shell_quote(dlrun_binary.string());
  for (const auto& option : options.dlrun_options) train += " " + shell_quote(option);
  train += " train " + shell_quote(spec_file.string());
  if (options.nodes) train += " --nodes " + std::to_string(*options.nodes);
  script += train + "\n";
  script += "code=$?\n";
  script += "echo \"$code\" > " + shell_quote(records_dir.string()) + "/\"$SLURM_JOB_ID\".exit\n";
  script += "exit \"$code\"\n";

  BatchJob job{.script = std::move(script), .sbatch_command = {"sbatch", "--parsable"}};
  job.sbatch_command.insert(job.sbatch_command.end(), options.sbatch_args.begin(),
                            options.sbatch_args.end());
  job.sbatch_command.push_back(script_file.string());
  return job;
}

}  // namespace dlrun::run
