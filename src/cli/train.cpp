#include "train.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/job/job_json.hpp"
#include "dlrun/run/job/run_record.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/docker_command.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kTrainHelp = R"(Examples:
  dlrun train train.json                     run the job the spec describes
  dlrun train train.json --gpus 0,2          on GPUs 0 and 2 only
  dlrun train train.json --gpu-path cdi      GPUs as CDI devices (Docker 25+ with CDI, Podman
                                             5.4+), nvidia.com/gpu=0 …
  dlrun train train.json --env EPOCHS=1 -- --lr 3e-4
                                             override a variable, append arguments
  dlrun train train.json --dry-run           print the create request train would send and an
                                             equivalent `docker run`; nothing is pulled or run
  dlrun train train.json --pull always --registry-mirror docker.io=mirror.corp:5000
                                             refresh the image through a mirror
  dlrun train ddp.json --nodes 2 --node-rank 1 --master-addr node0
                                             node 1 of a two-node job (docs/distributed.md)
  dlrun train resume.json --attempts 4        up to 4 attempts after GPU failures, each in a
                                             fresh container (docs/retries.md)
  dlrun train --from-record outputs/run-42    the job that record describes, again, its
                                             image pinned by digest (docs/run-record.md)

GPU images: before creating the container, dlrun checks the image's NVIDIA_REQUIRE_CUDA
against the host's driver (read from /proc/driver/nvidia/version, or --driver-version and
--gpu-arch, or $DLRUN_DRIVER_VERSION and $DLRUN_GPU_ARCH) and refuses with the driver it needs.

Packages: a spec's "build" section (apt, pip, a requirements file) is built on top of the
image once, cached by its content, and run instead (dlrun build --help; --rebuild).

Images: pulled when the engine lacks them (--pull), with live progress on a terminal and
plain lines otherwise; credentials come from the Docker config (docker login, credential
helpers) or the spec's "registry_auth"; mirrors from --registry-mirror, the spec's
"registry_mirror" or ~/.config/dlrun/config.json.

What it does: validates the spec, creates a sandboxed container (all capabilities
dropped, no-new-privileges, a pids limit, tini as PID 1, a sized /dev/shm, memlock and
stack ulimits for NCCL and frameworks), streams stdout and stderr as they come, waits,
removes the container, and exits with the job's own exit code. A daemon that refuses one of
these defaults (rootless Docker cannot raise memlock) gets its own value instead: one warning
with the fix, remembered for that daemon in ~/.cache/dlrun/daemons.json. A value the spec
asks for is never lowered.

Ctrl-C or SIGTERM stops the job (SIGTERM, 10s grace, SIGKILL) and removes it; a second
Ctrl-C kills it at once. Losing the terminal does not: on a hang-up (SIGHUP: the SSH session
dropped) or output that can no longer be written (| head), the job keeps running, detached,
and `dlrun attach JOB` follows it again. Every job's output is kept by the engine (the spec's
resources.log_size, 100 MB), so nothing is lost; its timeout is kept inside the container.

Retries: a spec's "retry" runs the job again, in a fresh container, after a GPU failure, the
engine restarting under it, or the exit codes it lists; the pause starts at 10s and doubles.
Each attempt gets DLRUN_ATTEMPT and, from the spec's "checkpoint" pattern, DLRUN_RESUME_FROM
(the newest checkpoint in its outputs). Ctrl-C stops the retries too. --output json lists the
attempts; the exit code is the last attempt's.

Exit codes:
  N      the job's own exit code (the last attempt's)
  2      bad command line or spec (nothing was started)
  123    the spec's "build" section failed to build (the step and its output are shown)
  124    the job ran past its timeout and was stopped
  125    the engine or dlrun failed (not the job)
  130    interrupted by SIGINT (Ctrl-C); 143 by SIGTERM
  129    dlrun lost its terminal; the job keeps running, detached
  137    the job was killed for running out of memory

The spec format: docs/spec.md. The daemon: as the docker CLI finds it (dlrun --help); on a
remote one (tcp://, ssh://), mount sources and outputs are paths on the Docker host.)";

// What the plan could not know before the pull or the build, and why.
void print_unknowns(const run::TrainPlan& planned, const std::string& engine) {
  const run::ContainerPlan& plan = planned.plan;
  if (planned.engine_unanswered) {
    std::printf(
        "\nthe engine at %s did not answer (%s): this is the plan without what it "
        "would tell: the images it holds, the defaults it refuses%s\n",
        engine.c_str(), planned.engine_unanswered->message.c_str(),
        plan.timeout ? ", its machine, the image's entrypoint" : "");
    return;
  }
  std::string unknown;
  if (planned.job().build) {
    unknown = "the job runs the image built from " + plan.image + ", named once it is built";
  } else if (!planned.inputs.supplied) {
    unknown = plan.image + " is not on the engine yet: it is pulled first";
  } else {
    return;
  }
  if (plan.timeout) {
    unknown += std::string("; the deadline then runs the image's own entrypoint after \"--\"") +
               (plan.cmd ? "" : ", and its CMD");
  }
  std::printf("\n%s\n", unknown.c_str());
}

void print_dry_run(const run::TrainPlan& planned, const std::string& engine) {
  const run::ContainerPlan& plan = planned.plan;
  const jobspec::JobSpec& job = planned.job();
  std::printf("image: %s", plan.image.c_str());
  if (planned.mirrored) std::printf(" (for %s, through the registry mirror)", job.image.c_str());
  std::printf("\npull: %s\n", std::string(jobspec::pull_policy_name(job.pull)).c_str());
  if (plan.gpu_path.delivery != run::GpuDelivery::none) {
    std::printf("gpus: %s by %s: %s\n", run::gpus_label(plan.gpus).c_str(),
                std::string(run::gpu_delivery_name(plan.gpu_path.delivery)).c_str(),
                plan.gpu_path.reason.c_str());
  }
  if (job.registry_auth) {
    std::printf("registry auth: user %s, password from $%s\n",
                job.registry_auth->username_env ? ("$" + *job.registry_auth->username_env).c_str()
                                                : job.registry_auth->username.c_str(),
                job.registry_auth->password_env.c_str());
  }
  std::printf("\ncreate request: POST /containers/create?name=%s\n%s\n",
              plan.container_name.c_str(),
              run::create_request_body(plan, run::Secrets::masked, 2).c_str());
  std::printf(
      "\nequivalent docker command%s:\n%s\n",
      plan.timeout ? " (dlrun copies its timeout keeper to /.dlrun/timeout before the start)" : "",
      run::docker_run_command(plan).c_str());
  print_unknowns(planned, engine);
}

}  // namespace

void add_train_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* train =
      app.add_subcommand("train", "Run a training job from a spec in a sandboxed container");
  auto* spec = train->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)");
  train
      ->add_option("--from-record", options->from_record,
                   "Run again the job a run record describes (dlrun-run.json, or its outputs "
                   "directory), its image pinned (docs/run-record.md)")
      ->excludes(spec);
  train->add_option("args", options->overrides.extra_args,
                    "Arguments after -- are appended to the spec's command");
  train->add_option("--gpus", options->overrides.gpus,
                    "GPUs: all, a count (2), or indexes/UUIDs/MIG devices (0,2 or 0:1)");
  train
      ->add_option("--gpu-path", options->overrides.gpu_path,
                   "How the GPUs reach the container: auto (default: CDI where the engine has it "
                   "and NVIDIA's CDI spec lists the GPUs), cdi, legacy (NVIDIA's hook)")
      ->type_name("{" + std::string(jobspec::gpu_path_name(jobspec::GpuPath::automatic)) + "," +
                  std::string(jobspec::gpu_path_name(jobspec::GpuPath::cdi)) + "," +
                  std::string(jobspec::gpu_path_name(jobspec::GpuPath::legacy)) + "}");
  train->add_option("-e,--env", options->overrides.env, "Set a variable, KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  train->add_option("--name", options->overrides.name,
                    "Job name (the container is dlrun-NAME-xxxxxx)");
  train->add_option("--image", options->overrides.image, "Image to run instead of the spec's");
  train->add_option("--timeout", options->overrides.timeout,
                    "Stop the job after this long: 6h, 1h30m, 90s");
  train->add_option("--attempts", options->overrides.attempts,
                    "Attempts in all (the spec's retry.attempts; without a retry section: on "
                    "GPU errors and engine restarts, docs/retries.md)");
  // The choices in the type name: shown by --help, offered by shell completion.
  train
      ->add_option("--pull", options->overrides.pull,
                   "When to pull the image: missing (default), always, never")
      ->type_name("{" + std::string(jobspec::pull_policy_name(jobspec::PullPolicy::missing)) + "," +
                  std::string(jobspec::pull_policy_name(jobspec::PullPolicy::always)) + "," +
                  std::string(jobspec::pull_policy_name(jobspec::PullPolicy::never)) + "}");
  train
      ->add_option("--registry-mirror", options->overrides.registry_mirrors,
                   "Pull REGISTRY's images from MIRROR: docker.io=mirror.example:5000 (repeatable)")
      ->allow_extra_args(false);
  train->add_flag(
      "--dry-run", options->dry_run,
      "Print the resolved image, the create request train would send and an equivalent docker "
      "run; asks the engine only what it holds (nothing is pulled, built or created)");
  train->add_flag(
      "-d,--detach", options->detach,
      "Start the job, print its id and leave it running (dlrun attach, logs, wait, stop)");
  train
      ->add_option("--nodes", options->placement.nodes,
                   "Nodes the job spans (overrides \"distributed\".nodes); with --node-rank and "
                   "--master-addr outside Slurm")
      ->check(CLI::Range(1, 4096));
  train
      ->add_option("--node-rank", options->placement.node_rank,
                   "This node's rank, 0 on the first (Slurm's SLURM_NODEID inside an allocation)")
      ->check(CLI::NonNegativeNumber);
  train->add_option("--master-addr", options->placement.master_addr,
                    "The first node's address, where the others meet it (MASTER_ADDR)");
  train
      ->add_option("--master-port", options->placement.master_port,
                   "The port they meet on (MASTER_PORT; default 29500)")
      ->check(CLI::Range(1, 65535));
  train->add_flag("--rebuild", options->rebuild,
                  "Build the spec's \"build\" section afresh, even when it was built before");
  train->add_flag("--keep", options->keep,
                  "Keep the container after the job ends (for docker inspect, dlrun logs)");
  train->add_option(
      "--catalog", options->catalog,
      "A catalog file extending the built-in one (in-house images), as data/catalog.json");
  add_host_fact_options(*train, options->host);
  train->add_flag(
      "--allow-unsafe-mounts", options->allow_unsafe_mounts,
      "Allow mounting /, system directories (/etc, /proc, /sys, /dev, …) or the Docker socket");
  add_output_option(*train, options->output,
                    "one result object on stdout at the end (the job's stdout goes to stderr)");
  train->footer(kTrainHelp);
  train->callback([options, &global, &exit_status] {
    auto result = run_train(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

namespace {

// `train --output json`: what a CI step reads. Always one object, on every way out.
void print_train_result(const std::string& spec_file, const Result<run::TrainResult>& result) {
  nlohmann::ordered_json out{{"spec", spec_file}};
  if (result) {
    out["job"] = result->job;
    out["container"] = result->container;
    out["id"] =
        result->id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(result->id);
    out["image"] = result->image;
    out["engine"] = result->engine;
    const run::PlannedGpus& gpus = result->gpus;
    out["gpus"] = gpus.delivery == run::GpuDelivery::none
                      ? nlohmann::ordered_json(nullptr)
                      : nlohmann::ordered_json{
                            {"path", gpus.delivery == run::GpuDelivery::cdi ? "cdi" : "legacy"},
                            {"devices", gpus.cdi_devices},
                            {"reason", gpus.reason}};
    out["exit_code"] = result->exit.exit_code;
    out["reason"] = result->exit.detached && result->exit.exit_code != 0 ? std::string("detached")
                    : result->exit.detached                              ? std::string("started")
                                            : std::string(ending_name(result->exit.ending));
    out["gpu_failure"] = run::gpu_failure_json(result->exit.gpu_failure);
    out["attempts"] = run::attempts_json(result->attempts);
    out["record"] = run::run_record_json(result->record);
    out["durations"] = {{"pull_seconds", result->pull_seconds},
                        {"run_seconds", result->run_seconds}};
    out["error"] = nullptr;
  } else {
    out["exit_code"] = exit_code_for(result.error().kind);
    out["reason"] = "error";
    out["error"] = {{"message", result.error().message}, {"hint", result.error().hint}};
  }
  std::printf("%s\n", json_text(out).c_str());
  std::fflush(stdout);
}

}  // namespace

Result<int> run_train(const TrainOptions& options, const GlobalOptions& global) {
  if (options.spec_file.empty() == !options.from_record) {
    return fail(ErrorKind::usage, "give a spec file, or --from-record with a run record",
                "dlrun train train.json, or dlrun train --from-record outputs/run-42");
  }
  const bool json = options.output == "json" && !options.dry_run;
  auto surroundings = surroundings_for(global);
  if (!surroundings) {
    if (json) {
      print_train_result(options.from_record.value_or(options.spec_file),
                         std::unexpected(surroundings.error()));
    }
    return std::unexpected(surroundings.error());
  }
  if (json) surroundings->stdout_fd = 2;  // stdout carries the one result object
  const run::TrainRequest request{
      .spec_file = options.spec_file,
      .overrides = options.overrides,
      .keep = options.keep ? run::KeepContainer::keep : run::KeepContainer::remove,
      .attachment = options.detach ? run::Attachment::detach : run::Attachment::follow,
      .unsafe_mounts =
          options.allow_unsafe_mounts ? run::UnsafeMounts::allow : run::UnsafeMounts::refuse,
      .host = options.host,
      .catalog = options.catalog,
      .pull_display = run::pull_display_mode_for(stderr, global.quiet),
      .rebuild = options.rebuild,
      .placement = options.placement,
      .dlrun_version = version_text(),
      .from_record = options.from_record
                         ? std::optional<std::filesystem::path>(*options.from_record)
                         : std::nullopt};
  if (!options.dry_run) {
    auto result = run::train(request, *surroundings);
    if (json) {
      print_train_result(options.from_record.value_or(options.spec_file), result);
      if (!result) (void)report(result.error());  // the paragraph on stderr as well
      return result ? result->exit.exit_code : exit_code_for(result.error().kind);
    }
    if (!result) return std::unexpected(result.error());
    return result->exit.exit_code;
  }
  auto planned = run::plan_train(request, *surroundings);
  if (!planned) return std::unexpected(planned.error());
  print_dry_run(*planned, surroundings->endpoint.display);
  if (planned->job().build) {
    auto dockerfile = run::build_dockerfile(*planned, surroundings->env);
    if (!dockerfile) return std::unexpected(dockerfile.error());
    std::printf(
        "\nthe job's image, built from this Dockerfile (FROM the image's id) and run "
        "instead:\n%s",
        dockerfile->c_str());
  }
  return exit_code::ok;
}

}  // namespace dlrun::cli
