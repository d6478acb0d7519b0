#include "dlrun/cli/train.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "dlrun/cli/clean.hpp"
#include "dlrun/engine/client.hpp"
#include "dlrun/engine/curl_transport.hpp"
#include "dlrun/engine/endpoint.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/run/create_request.hpp"
#include "dlrun/run/docker_command.hpp"
#include "dlrun/run/gpu_preflight.hpp"
#include "dlrun/run/host_paths.hpp"
#include "dlrun/run/image_choice.hpp"
#include "dlrun/run/image_supply.hpp"
#include "dlrun/run/job.hpp"
#include "dlrun/run/plan.hpp"
#include "dlrun/spec/parse.hpp"
#include "dlrun/spec/user_config.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kTrainHelp = R"(Examples:
  dlrun train train.json                     run the job the spec describes
  dlrun train train.json --gpus 0,2          on GPUs 0 and 2 only
  dlrun train train.json --env EPOCHS=1 -- --lr 3e-4
                                             override a variable, append arguments
  dlrun train train.json --dry-run           print the create request and an equivalent
                                             `docker run`, contact nothing
  dlrun train train.json --pull always --registry-mirror docker.io=mirror.corp:5000
                                             refresh the image through a mirror

GPU images: before creating the container, dlrun checks the image's NVIDIA_REQUIRE_CUDA
against the host's driver (read from /proc/driver/nvidia/version, or --driver-version and
--gpu-arch, or $DLRUN_DRIVER_VERSION and $DLRUN_GPU_ARCH) and refuses with the driver it needs.

Images: pulled when the engine lacks them (--pull), with live progress on a terminal and
plain lines otherwise; credentials come from the Docker config (docker login, credential
helpers) or the spec's "registry_auth"; mirrors from --registry-mirror, the spec's
"registry_mirror" or ~/.config/dlrun/config.json.

What it does: validates the spec, creates a sandboxed container (all capabilities
dropped, no-new-privileges, a pids limit, tini as PID 1, a sized /dev/shm, memlock and
stack ulimits for NCCL and frameworks), streams stdout and stderr as they come, waits,
removes the container, and exits with the job's own exit code.

Ctrl-C, SIGTERM or SIGHUP stops the job (SIGTERM, 10s grace, SIGKILL) and removes it; a second
Ctrl-C kills it at once.

Exit codes:
  N      the job's own exit code
  2      bad command line or spec (nothing was started)
  124    the job ran past its timeout and was stopped
  125    the engine or dlrun failed (not the job)
  130    interrupted by SIGINT (Ctrl-C); 143 by SIGTERM; 129 by SIGHUP
  137    the job was killed for running out of memory

The spec format: docs/spec.md. The daemon: as the docker CLI finds it (dlrun --help); on a
remote one (tcp://, ssh://), mount sources and outputs are paths on the Docker host.)";

void print_dry_run(const run::ContainerPlan& plan, const spec::JobSpec& job, bool mirrored) {
  std::printf("image: %s", plan.image.c_str());
  if (mirrored) std::printf(" (for %s, through the registry mirror)", job.image.c_str());
  static constexpr const char* kPolicies[] = {"missing", "always", "never"};
  std::printf("\npull: %s\n", kPolicies[static_cast<int>(job.pull)]);
  if (job.registry_auth) {
    std::printf("registry auth: user %s, password from $%s\n",
                job.registry_auth->username_env ? ("$" + *job.registry_auth->username_env).c_str()
                                                : job.registry_auth->username.c_str(),
                job.registry_auth->password_env.c_str());
  }
  std::printf("\ncreate request: POST /containers/create?name=%s\n%s\n",
              plan.container_name.c_str(),
              run::create_request_body(plan, run::Secrets::masked, 2).c_str());
  std::printf("\nequivalent docker command:\n%s\n", run::docker_run_command(plan).c_str());
}

}  // namespace

void add_train_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* train =
      app.add_subcommand("train", "Run a training job from a spec in a sandboxed container");
  train->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)")->required();
  train->add_option("args", options->overrides.extra_args,
                    "Arguments after -- are appended to the spec's command");
  train->add_option("--gpus", options->overrides.gpus,
                    "GPUs: all, a count (2), or indexes/UUIDs (0,2)");
  train->add_option("-e,--env", options->overrides.env, "Set a variable, KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  train->add_option("--name", options->overrides.name,
                    "Job name (the container is dlrun-NAME-xxxxxx)");
  train->add_option("--image", options->overrides.image, "Image to run instead of the spec's");
  train->add_option("--timeout", options->overrides.timeout,
                    "Stop the job after this long: 6h, 1h30m, 90s");
  train
      ->add_option("--pull", options->overrides.pull,
                   "When to pull the image: missing (default), always, never")
      ->check(CLI::IsMember({"missing", "always", "never"}));
  train
      ->add_option("--registry-mirror", options->overrides.registry_mirrors,
                   "Pull REGISTRY's images from MIRROR: docker.io=mirror.example:5000 (repeatable)")
      ->allow_extra_args(false);
  train->add_flag(
      "--dry-run", options->dry_run,
      "Print the resolved image, create request and an equivalent docker run; contact nothing");
  train->add_flag("--keep", options->keep,
                  "Keep the container after the job ends, with its output in the engine's log "
                  "(for docker logs/inspect)");
  train->add_option(
      "--catalog", options->catalog,
      "A catalog file extending the built-in one (in-house images), as data/catalog.json");
  add_host_fact_options(*train, options->host);
  train->add_flag(
      "--allow-unsafe-mounts", options->allow_unsafe_mounts,
      "Allow mounting /, system directories (/etc, /proc, /sys, /dev, …) or the Docker socket");
  train->footer(kTrainHelp);
  train->callback([options, &global, &exit_status] {
    auto result = run_train(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_train(const TrainOptions& options, const GlobalOptions& global) {
  auto loaded = spec::load_job_spec(options.spec_file);
  if (!loaded) return std::unexpected(loaded.error());
  spec::JobSpec& job = loaded->spec;
  if (auto applied = spec::apply_overrides(job, options.overrides); !applied) {
    return std::unexpected(applied.error());
  }
  auto endpoint = engine::endpoint_from_environment(global.host, global.context);
  if (!endpoint) return std::unexpected(endpoint.error());
  const auto unsafe =
      options.allow_unsafe_mounts ? run::UnsafeMounts::allow : run::UnsafeMounts::refuse;
  const run::DaemonHost daemon = run::daemon_host(*endpoint);
  if (auto checked = run::check_bind_sources(job, unsafe, daemon); !checked) {
    return std::unexpected(checked.error());
  }
  auto catalog = resolve::load_catalog(options.catalog);
  if (!catalog) return std::unexpected(catalog.error());
  // The Docker host's driver and GPUs, for choosing an image and for the GPU preflight; a CPU
  // job with an explicit image needs neither, and NVML's start-up is not free.
  const bool needs_facts = job.image.empty() || !std::holds_alternative<spec::GpuNone>(job.gpus);
  auto facts = needs_facts ? run::docker_host_facts(*endpoint, options.host, *catalog)
                           : Result<resolve::HostFacts>(resolve::HostFacts{});
  if (!facts) return std::unexpected(facts.error());

  // Everything that can be wrong with the spec on this host is found before the engine is asked.
  auto user_config = spec::load_user_config();
  if (!user_config) return std::unexpected(user_config.error());
  const run::HostContext host = run::current_host(loaded->digest);
  auto plan = run::make_plan(job, host);
  if (!plan) return std::unexpected(plan.error());
  plan->engine_logs = options.keep;  // docker logs for the container kept for inspection

  std::optional<run::SignalWatcher> signals;
  std::optional<engine::EngineClient> client;
  if (!options.dry_run) {
    // Before any thread exists, so that every thread inherits the blocked signals.
    signals.emplace();
    engine::initialize_curl();
    auto connected = engine::EngineClient::connect(
        std::make_shared<engine::CurlTransport>(*endpoint), endpoint->display);
    if (!connected) return std::unexpected(connected.error());
    client.emplace(std::move(*connected));
    remove_finished_orphans(*client);
  }
  if (job.image.empty()) {
    auto resolved =
        run::choose_image(*job.framework, *facts, *catalog,
                          run::registry_mirrors(*user_config, job), client ? &*client : nullptr);
    if (!resolved) return std::unexpected(resolved.error());
    spdlog::info("image {}: {}", resolved->chosen->reference, resolved->reason);
    job.image = resolved->chosen->reference;
  }

  const engine::RegistryMirrors mirrors = run::registry_mirrors(*user_config, job);
  auto requested = engine::parse_image_ref(job.image);
  if (!requested) return std::unexpected(requested.error());
  const auto image = std::optional(engine::apply_mirror(*requested, mirrors));

  plan->image = image->familiar();

  if (options.dry_run) {
    print_dry_run(*plan, job, image->full() != requested->full());
    return exit_code::ok;
  }
  run::ImageSupplyOptions supply{.policy = job.pull,
                                 .mirrors = mirrors,
                                 .credentials = std::nullopt,
                                 .display = run::pull_display_mode_for(stderr, global.quiet)};
  if (job.registry_auth) {
    auto credentials =
        run::credentials_from_spec(*job.registry_auth, image->registry, host.lookup_env);
    if (!credentials) return std::unexpected(credentials.error());
    supply.credentials = std::move(*credentials);
  }

  auto supplied = run::supply_image(*client, *image, supply,
                                    engine::docker_config_from_environment(), *signals);
  if (!supplied) return std::unexpected(supplied.error());
  if (!std::holds_alternative<spec::GpuNone>(job.gpus) && facts->driver) {
    if (auto fits = run::check_image_fits_host(plan->image, supplied->env,
                                               run::select_gpus(*facts, job.gpus), *catalog);
        !fits) {
      return std::unexpected(fits.error());
    }
  }

  std::optional<run::OutputsDirectory> outputs;
  if (job.outputs && !daemon.local) {
    spdlog::info("outputs {}: a path on the Docker host ({}), which must have it",
                 job.outputs->string(), endpoint->display);
  } else if (job.outputs) {
    auto prepared = run::OutputsDirectory::prepare(*job.outputs);
    if (!prepared) return std::unexpected(prepared.error());
    outputs.emplace(std::move(*prepared));
  }

  spdlog::info("job {}: {} in container {}", job.name, plan->image, plan->container_name);
  const run::RunOptions run_options{
      .keep = options.keep ? run::KeepContainer::keep : run::KeepContainer::remove,
      .timeout = job.timeout,
  };
  auto status =
      run::run_job(*client, *plan, run::create_request_body(*plan, run::Secrets::revealed),
                   run_options, *signals);
  if (status && outputs) outputs->keep();
  return status;
}

}  // namespace dlrun::cli
