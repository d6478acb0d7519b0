#include "dlrun/run/train.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "dlrun/engine/curl_transport.hpp"
#include "dlrun/engine/registry_auth.hpp"
#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/run/create_request.hpp"
#include "dlrun/run/daemon_memory.hpp"
#include "dlrun/run/defaults.hpp"
#include "dlrun/run/docker_host.hpp"
#include "dlrun/run/gpu_preflight.hpp"
#include "dlrun/run/image_build.hpp"
#include "dlrun/run/image_choice.hpp"
#include "dlrun/run/image_supply.hpp"
#include "dlrun/run/labels.hpp"
#include "dlrun/run/orphans.hpp"
#include "dlrun/run/signals.hpp"
#include "dlrun/run/slurm_allocation.hpp"
#include "dlrun/run/slurm_jobs.hpp"
#include "dlrun/run/timeout_program.hpp"

namespace dlrun::run {
namespace {

// Stage 1: the spec with the command line applied, every field validated once.
struct Job {
  jobspec::JobSpec spec;
  std::string digest;
};

Result<Job> load_job(const std::filesystem::path& spec_file, const jobspec::Overrides& overrides,
                     const EnvLookup& env) {
  auto loaded = jobspec::load_job_spec(spec_file, env);
  if (!loaded) return std::unexpected(loaded.error());
  if (auto applied = jobspec::apply_overrides(loaded->spec, overrides); !applied) {
    return std::unexpected(applied.error());
  }
  return Job{std::move(loaded->spec), std::move(loaded->digest)};
}

// Stage 1 with the Docker host's paths: what `dlrun validate` checks too.
Result<Job> load_checked_job(const std::filesystem::path& spec_file,
                             const jobspec::Overrides& overrides, UnsafeMounts unsafe,
                             const DaemonHost& daemon, const EnvLookup& env) {
  auto job = load_job(spec_file, overrides, env);
  if (!job) return std::unexpected(job.error());
  if (auto checked = check_bind_sources(job->spec, unsafe, daemon); !checked) {
    return std::unexpected(checked.error());
  }
  return job;
}

// Stage 3: the image the engine will run, as the engine will name it (after mirrors).
struct ImageChoice {
  engine::ImageRef image;
  bool mirrored = false;
};

Result<ImageChoice> choose_job_image(const jobspec::JobSpec& job, const resolve::HostFacts& facts,
                                     const resolve::Catalog& catalog,
                                     const engine::RegistryMirrors& mirrors,
                                     engine::EngineClient* client) {
  std::string reference = job.image;
  if (reference.empty() && job.framework) {
    auto resolved = choose_image(*job.framework, facts, catalog, mirrors, client);
    if (!resolved) return std::unexpected(resolved.error());
    spdlog::info("image {}: {}", resolved->chosen->reference, resolved->reason);
    reference = resolved->chosen->reference;
  }
  auto requested = engine::parse_image_ref(reference);
  if (!requested) return std::unexpected(requested.error());
  // An image given by name stays the user's choice (a build step may mend it), but one the
  // catalog knows cannot use a GPU would train on the CPU without a word. (A job without GPUs
  // reads no catalog.)
  if (!job.image.empty()) {
    const resolve::ImageEntry* known = catalog.image_named(requested->familiar());
    if (known != nullptr && !known->gpu_unusable.empty()) {
      spdlog::warn(
          "image {}: {}; the job may train on the CPU (see dlrun images --framework {}, and "
          "docs/catalog.md)",
          known->reference, resolve::gpu_unusable_message(*known), known->framework);
    }
  }
  auto image = engine::apply_mirror(*requested, mirrors);
  const bool mirrored = image.full() != requested->full();
  return ImageChoice{std::move(image), mirrored};
}

}  // namespace

TransportFactory curl_transports() {
  return [](const engine::Endpoint& endpoint) -> std::shared_ptr<engine::Transport> {
    engine::initialize_curl();
    return std::make_shared<engine::CurlTransport>(endpoint);
  };
}

Result<engine::EngineClient> connect(const Surroundings& surroundings) {
  return engine::EngineClient::connect(surroundings.transports(surroundings.endpoint),
                                       surroundings.endpoint.display);
}

namespace {

// Stages 1 and 2, and everything else that can be wrong on this host: all found before the
// engine is asked anything.
struct PreparedJob {
  Job job;
  std::optional<SlurmAllocation> allocation;  // the Slurm job this run is a part of
  DaemonHost daemon;
  resolve::Catalog catalog;
  resolve::HostFacts facts;
  engine::RegistryMirrors mirrors;
};

Result<PreparedJob> prepare_job(const TrainRequest& request, const Surroundings& surroundings) {
  // The Docker host: its paths first (cheap, and the commonest mistake), then its driver and
  // GPUs — read only when an image must be chosen or GPUs are asked for: a CPU job with an
  // explicit image needs neither, and NVML's start-up is not free.
  const DaemonHost daemon = daemon_host(surroundings.endpoint);
  auto job = load_checked_job(request.spec_file, request.overrides, request.unsafe_mounts, daemon,
                              surroundings.env);
  if (!job) return std::unexpected(job.error());
  // Inside a Slurm allocation, Slurm has decided the GPUs, CPUs and memory, and which node of
  // a distributed job this is.
  auto allocation = slurm_allocation(surroundings.env);
  if (auto wired = wire_distributed(job->spec, allocation, request.placement); !wired) {
    return std::unexpected(wired.error());
  }
  if (allocation) {
    if (auto fitted = fit_to_allocation(job->spec, *allocation); !fitted) {
      return std::unexpected(fitted.error());
    }
  }
  const jobspec::JobSpec& spec = job->spec;
  const bool needs_facts =
      spec.image.empty() || !std::holds_alternative<jobspec::GpuNone>(spec.gpus);
  // The catalog is read by the same two (the driver's CUDA, the image's fit); its 200 KB of
  // JSON were most of a CPU job's start-up (docs/performance.md).
  auto catalog = needs_facts ? resolve::load_catalog(request.catalog, surroundings.env)
                             : Result<resolve::Catalog>(resolve::Catalog{});
  if (!catalog) return std::unexpected(catalog.error());
  auto facts = needs_facts ? docker_host_facts(surroundings.endpoint, request.host, *catalog,
                                               surroundings.env)
                           : Result<resolve::HostFacts>(resolve::HostFacts{});
  if (!facts) return std::unexpected(facts.error());
  auto user_config = jobspec::load_user_config(surroundings.env);
  if (!user_config) return std::unexpected(user_config.error());
  auto mirrors = registry_mirrors(*user_config, spec);
  return PreparedJob{std::move(*job),     std::move(allocation), daemon,
                     std::move(*catalog), std::move(*facts),     std::move(mirrors)};
}

// Stages 3 and 4: the image, then the plan, finished: with the defaults this daemon is known to
// refuse already left to it.
Result<TrainPlan> finish_plan(PreparedJob prepared, const TrainRequest& request,
                              const Surroundings& surroundings, const DaemonMemory& memory,
                              engine::EngineClient* client) {
  auto image = choose_job_image(prepared.job.spec, prepared.facts, prepared.catalog,
                                prepared.mirrors, client);
  if (!image) return std::unexpected(image.error());
  HostContext host = surroundings.host(prepared.job.digest, surroundings.env);
  // A detached job has no dlrun watching it: no owner, or the next train would take it for an
  // orphan of a killed dlrun.
  if (request.attachment == Attachment::detach) host.owner.clear();
  auto plan = make_plan(prepared.job.spec, host, {.image = image->image.familiar()});
  if (!plan) return std::unexpected(plan.error());
  // NCCL over InfiniBand needs the host's RDMA devices (only a local daemon's are in sight).
  if (prepared.job.spec.distributed && prepared.daemon.local) plan->devices = rdma_devices();
  if (prepared.allocation) {
    plan->labels[std::string(kSlurmJobLabel)] = prepared.allocation->job_id;
    if (!prepared.allocation->step_id.empty())
      plan->labels[std::string(kSlurmStepLabel)] = prepared.allocation->step_id;
  }
  const std::string& address = surroundings.endpoint.display;
  if (auto known = memory.recall(address, client ? client->server_version() : "")) {
    for (const auto& setting : known->refused) {
      auto relaxed = give_way(*plan, setting);
      if (!relaxed) continue;
      // Warned in full when it was found out; a reminder will do now (hidden by -q).
      spdlog::info("{}", gave_way_warning(setting, address, "on " + format_day(known->learned)));
      plan = std::move(*relaxed);
    }
  }
  return TrainPlan{.job = std::move(prepared.job.spec),
                   .image = std::move(image->image),
                   .mirrored = image->mirrored,
                   .mirrors = std::move(prepared.mirrors),
                   .catalog = std::move(prepared.catalog),
                   .facts = std::move(prepared.facts),
                   .daemon = prepared.daemon,
                   .plan = std::move(*plan)};
}

}  // namespace

Result<jobspec::JobSpec> check_job(const std::filesystem::path& spec_file,
                                   const jobspec::Overrides& overrides, UnsafeMounts unsafe,
                                   const DaemonHost& daemon, const EnvLookup& env) {
  auto job = load_checked_job(spec_file, overrides, unsafe, daemon, env);
  if (!job) return std::unexpected(job.error());
  return std::move(job->spec);
}

Result<TrainPlan> plan_train(const TrainRequest& request, const Surroundings& surroundings) {
  auto prepared = prepare_job(request, surroundings);
  if (!prepared) return std::unexpected(prepared.error());
  return finish_plan(std::move(*prepared), request, surroundings,
                     DaemonMemory::load(surroundings.env), nullptr);
}

namespace {

// Stage 5's first part: the job's image present on the engine, pulled as the spec says, checked
// against the host's driver, and built from the spec's "build" section where it has one.
struct SuppliedImage {
  std::string image;  // as the container is to name it
  engine::ImageDetails details;
  std::string base;  // what it was built from; empty when not built
  bool built = false;
};

Result<SuppliedImage> supply_job_image(engine::EngineClient& client, const TrainPlan& planned,
                                       const TrainRequest& request,
                                       const Surroundings& surroundings, SignalWatcher& signals) {
  const jobspec::JobSpec& job = planned.job;
  ImageSupplyOptions supply{.policy = job.pull,
                            .mirrors = planned.mirrors,
                            .credentials = std::nullopt,
                            .display = request.pull_display};
  if (job.registry_auth) {
    auto credentials =
        credentials_from_spec(*job.registry_auth, planned.image.registry, surroundings.env);
    if (!credentials) return std::unexpected(credentials.error());
    supply.credentials = std::move(*credentials);
  }
  const auto docker_config = engine::docker_config_from_environment(surroundings.env);
  auto supplied_base = supply_image(client, planned.image, supply, docker_config, signals);
  if (!supplied_base) return std::unexpected(supplied_base.error());
  engine::ImageDetails& supplied = supplied_base->details;
  // The base decides what CUDA the job gets: checked before any build, which cannot change it.
  if (!std::holds_alternative<jobspec::GpuNone>(job.gpus) && planned.facts.driver) {
    if (auto fits = check_image_fits_host(planned.plan.image, supplied.env,
                                          select_gpus(planned.facts, job.gpus), planned.catalog);
        !fits) {
      return std::unexpected(fits.error());
    }
  }
  if (!job.build) return SuppliedImage{planned.plan.image, std::move(supplied)};
  // A private base builds with the credentials it was pulled with, should the builder pull it.
  ImageBuildOptions build{.rebuild = request.rebuild, .display = request.pull_display};
  auto credentials =
      supplied_base->pulled
          ? Result<std::optional<engine::RegistryCredentials>>(supplied_base->pulled_with)
          : registry_credentials(planned.image, supply, docker_config);
  if (!credentials) return std::unexpected(credentials.error());
  if (const auto& found = *credentials)
    build.registry_config = engine::encode_registry_config(planned.image.registry, *found);
  auto built = build_job_image(client, *job.build, job.name, planned.plan.image, supplied, build,
                               surroundings.env, signals);
  if (!built) return std::unexpected(built.error());
  return SuppliedImage{built->tag, std::move(built->details), planned.plan.image, built->built};
}

}  // namespace

Result<BuildResult> build(const TrainRequest& request, const Surroundings& surroundings) {
  auto prepared = prepare_job(request, surroundings);
  if (!prepared) return std::unexpected(prepared.error());
  if (!prepared->job.spec.build) {
    return fail(ErrorKind::usage,
                "the spec has no \"build\" section: its image runs as it is, with nothing to build",
                "add packages, e.g. \"build\": {\"pip\": [\"transformers==4.44.2\"]}; "
                "`dlrun train` pulls the image itself");
  }
  SignalWatcher signals;
  auto client = connect(surroundings);
  if (!client) return std::unexpected(client.error());
  auto planned = finish_plan(std::move(*prepared), request, surroundings,
                             DaemonMemory::load(surroundings.env), &*client);
  if (!planned) return std::unexpected(planned.error());
  auto supplied = supply_job_image(*client, *planned, request, surroundings, signals);
  if (!supplied) return std::unexpected(supplied.error());
  return BuildResult{supplied->image, supplied->base, supplied->built};
}

Result<std::string> build_dockerfile(const TrainPlan& planned, const EnvLookup& env) {
  const auto& job = planned.job;
  if (!job.build) {
    return fail(ErrorKind::usage, "the spec has no \"build\" section: there is no Dockerfile",
                "add packages, e.g. \"build\": {\"apt\": [\"libsndfile1\"]}");
  }
  auto recipe = make_build_recipe(
      *job.build, job.name, {.reference = planned.plan.image, .id = planned.plan.image, .user = {}},
      env);
  if (!recipe) return std::unexpected(recipe.error());
  return recipe->dockerfile;
}

Result<TrainResult> train(const TrainRequest& request, const Surroundings& surroundings) {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto prepared = prepare_job(request, surroundings);
  if (!prepared) return std::unexpected(prepared.error());
  // Before any thread exists, so that every thread inherits the blocked signals.
  SignalWatcher signals;
  auto client = connect(surroundings);
  if (!client) return std::unexpected(client.error());
  remove_finished_orphans(*client);
  DaemonMemory memory = DaemonMemory::load(surroundings.env);
  auto planned = finish_plan(std::move(*prepared), request, surroundings, memory, &*client);
  if (!planned) return std::unexpected(planned.error());
  const jobspec::JobSpec& job = planned->job;

  // Stage 5: the engine's requests.
  const auto supply_began = Clock::now();
  auto supplied = supply_job_image(*client, *planned, request, surroundings, signals);
  if (!supplied) return std::unexpected(supplied.error());
  ContainerPlan planned_container = planned->plan;
  planned_container.image = supplied->image;
  if (!supplied->base.empty())
    planned_container.labels[std::string(kBaseImageLabel)] = supplied->base;
  TrainResult result{.job = job.name,
                     .container = planned_container.container_name,
                     .image = planned_container.image,
                     .base_image = supplied->base,
                     .built = supplied->built};
  result.pull_seconds = seconds_since(supply_began);

  std::optional<OutputsDirectory> outputs;
  if (job.outputs && !planned->daemon.local) {
    spdlog::info("outputs {}: a path on the Docker host ({}), which must have it",
                 job.outputs->string(), surroundings.endpoint.display);
  } else if (job.outputs) {
    auto directory = OutputsDirectory::prepare(*job.outputs);
    if (!directory) return std::unexpected(directory.error());
    outputs.emplace(std::move(*directory));
  }

  if (request.attachment == Attachment::detach && job.resources.log_bytes == 0) {
    return fail(ErrorKind::usage,
                "a detached job needs its output kept, but the spec says resources.log_size "
                "\"none\"",
                "give resources.log_size a size (100m unless set), or run the job in the "
                "foreground");
  }
  // The timeout is kept inside the container, by dlrun's own program, built for this machine.
  if (job.timeout) {
    auto info = client->info();
    if (!info) return std::unexpected(info.error());
    if (!info->architecture.empty() && info->architecture != timeout_program_architecture()) {
      return fail(ErrorKind::usage,
                  "the job's timeout is kept inside its container by a program built for " +
                      std::string(timeout_program_architecture()) + ", but the daemon at " +
                      surroundings.endpoint.display + " runs on " + info->architecture,
                  "run dlrun on a machine like the daemon's, or drop \"timeout\" from the spec");
    }
  }
  const ContainerPlan job_plan =
      with_deadline(planned_container, supplied->details.entrypoint, supplied->details.cmd);
  spdlog::info("job {}: {} in container {}", job.name, job_plan.image, job_plan.container_name);
  RunOptions run_options{.keep = request.keep,
                         .stdout_fd = surroundings.stdout_fd,
                         .stderr_fd = surroundings.stderr_fd};
  if (slurm_allocation(surroundings.env)) {
    run_options.stop_grace_seconds = stop_grace_within(slurm_kill_wait_seconds());
    spdlog::debug("inside Slurm: a stop gives the job {}s before SIGKILL",
                  run_options.stop_grace_seconds);
  }
  // Followed to its end, or (detached) started and left running with its log kept.
  const auto run_plan = [&](const ContainerPlan& plan) -> Result<JobExit> {
    const std::string body = create_request_body(plan, Secrets::revealed);
    if (request.attachment == Attachment::follow) {
      return run_job(*client, plan, body, run_options, signals);
    }
    auto id = start_detached(*client, plan, body);
    if (!id) return std::unexpected(id.error());
    const std::string line = *id + "\n";
    if (write(surroundings.stdout_fd, line.data(), line.size()) < 0) {
      spdlog::warn("job {} started, but its id could not be printed", id->substr(0, 12));
    }
    spdlog::info("detached: `dlrun attach {0}` follows it, `dlrun wait {0}` waits for its end",
                 id->substr(0, 12));
    result.id = *id;
    return JobExit{exit_code::ok, Ending::running, true};
  };
  const auto run_began = Clock::now();
  auto status = run_plan(job_plan);
  // A default of dlrun's that the daemon refuses gives way to the daemon's own value: one more
  // create, once; the daemon is remembered so that later runs ask for its value at once.
  std::optional<ContainerPlan> relaxed;
  while (!status && status.error().kind == ErrorKind::setting_refused) {
    const std::string setting = status.error().subject;
    relaxed = give_way(relaxed ? *relaxed : job_plan, setting);
    if (!relaxed) break;  // the user's own value: refused, with the fix
    spdlog::warn("{}", gave_way_warning(setting, surroundings.endpoint.display));
    memory.remember_refusal(surroundings.endpoint.display, client->server_version(), setting);
    status = run_plan(*relaxed);
  }
  if (!status) return std::unexpected(status.error());
  // A job that never started wrote nothing: an outputs directory made for it goes again.
  if (outputs && !status->never_started) outputs->keep();
  result.exit = *status;
  if (result.id.empty()) result.id = status->container_id;
  result.run_seconds = seconds_since(run_began);
  return result;
}

}  // namespace dlrun::run
