#include "dlrun/run/commands/submit.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/process.hpp"

namespace dlrun::run {
namespace {

// The nodes run this same dlrun.
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

struct Loaded {
  jobspec::JobSpec spec;
  std::filesystem::path spec_file;  // absolute: the nodes read it from there
  std::filesystem::path records;
};

Result<Loaded> load(const SubmitRequest& request, const EnvLookup& env) {
  auto loaded = jobspec::load_job_spec(request.spec_file, env);
  if (!loaded) return std::unexpected(loaded.error());
  auto dir = submitted_jobs_dir(env);
  if (!dir) return std::unexpected(dir.error());
  return Loaded{std::move(loaded->spec), std::filesystem::absolute(request.spec_file),
                std::move(*dir)};
}

}  // namespace

Result<BatchJob> plan_submission(const SubmitRequest& request, const EnvLookup& env) {
  auto loaded = load(request, env);
  if (!loaded) return std::unexpected(loaded.error());
  return batch_job(loaded->spec, loaded->spec_file, this_program(), request.options,
                   loaded->records, "SCRIPT");
}

Result<Submission> submit(const SubmitRequest& request, const EnvLookup& env) {
  auto loaded = load(request, env);
  if (!loaded) return std::unexpected(loaded.error());
  const std::filesystem::path& dir = loaded->records;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::filesystem::path script_file =
      dir / ("submitting-" + std::to_string(getpid()) + ".sh");
  auto job =
      batch_job(loaded->spec, loaded->spec_file, this_program(), request.options, dir, script_file);
  if (!job) return std::unexpected(job.error());
  if (!write_file_atomically(script_file, job->script)) {
    return fail(ErrorKind::io, "cannot write the batch script in " + dir.string(),
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
  const std::filesystem::path script = dir / (id + ".sh");
  std::filesystem::rename(script_file, script, ec);
  const jobspec::JobSpec& spec = loaded->spec;
  SubmittedJob submitted{
      .id = id,
      .name = spec.name,
      .spec = loaded->spec_file.string(),
      .output = dir / (id + ".out"),
      .submitted = static_cast<std::int64_t>(std::time(nullptr)),
      .nodes = request.options.nodes.value_or(spec.distributed ? spec.distributed->nodes : 1)};
  // Where Slurm says the output goes: an --output among --sbatch-arg wins over the script's.
  if (auto status = slurm_job_status(dir, submitted); status && !status->output.empty()) {
    submitted.output = status->output;
  }
  // The job is submitted either way: a record that cannot be written is a warning.
  if (auto remembered = remember_submitted(dir, submitted); !remembered) {
    spdlog::warn("{} ({})", remembered.error().message, remembered.error().hint);
  }
  return Submission{std::move(submitted), script};
}

}  // namespace dlrun::run
