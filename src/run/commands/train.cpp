#include "dlrun/run/commands/train.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "dlrun/engine/registry_auth.hpp"
#include "dlrun/jobspec/exec_limits.hpp"
#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/run/commands/from_record.hpp"
#include "dlrun/run/host/cdi_specs.hpp"
#include "dlrun/run/host/daemon_memory.hpp"
#include "dlrun/run/host/docker_host.hpp"
#include "dlrun/run/host/engine_profile.hpp"
#include "dlrun/run/image/gpu_preflight.hpp"
#include "dlrun/run/image/image_build.hpp"
#include "dlrun/run/image/image_choice.hpp"
#include "dlrun/run/image/image_supply.hpp"
#include "dlrun/run/job/orphans.hpp"
#include "dlrun/run/job/retry.hpp"
#include "dlrun/run/job/run_record.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/defaults.hpp"
#include "dlrun/run/plan/labels.hpp"
#include "dlrun/run/plan/timeout_program.hpp"
#include "dlrun/run/slurm/slurm_allocation.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"
#include "dlrun/signals.hpp"

namespace dlrun::run {
namespace {

// Stage 1: the spec with the command line applied, every field validated once.
struct Job {
  jobspec::JobSpec spec;
  std::string digest;
  SpecSource source;
};

Result<Job> load_job(const std::filesystem::path& spec_file, const jobspec::Overrides& overrides,
                     const EnvLookup& env) {
  auto loaded = jobspec::load_job_spec(spec_file, env);
  if (!loaded) return std::unexpected(loaded.error());
  if (auto applied = jobspec::apply_overrides(loaded->spec, overrides); !applied) {
    return std::unexpected(applied.error());
  }
  // The command and variables as the container gets them, flags included.
  if (auto fits = jobspec::check_exec_sizes(loaded->spec); !fits) {
    return std::unexpected(fits.error());
  }
  return Job{std::move(loaded->spec), std::move(loaded->digest),
             SpecSource{std::filesystem::absolute(spec_file).lexically_normal(),
                        std::move(loaded->text), overrides}};
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

// Stage 1 from a run record (--from-record): its spec, changes and image, with the Docker
// host's paths checked as for a spec.
Result<Job> load_recorded(const std::filesystem::path& record_file, const TrainRequest& request,
                          const DaemonHost& daemon, const EnvLookup& env) {
  auto recorded = load_recorded_job(record_file, request.overrides, env);
  if (!recorded) return std::unexpected(recorded.error());
  if (auto checked = check_bind_sources(recorded->loaded.spec, request.unsafe_mounts, daemon);
      !checked) {
    return std::unexpected(checked.error());
  }
  return Job{std::move(recorded->loaded.spec), std::move(recorded->loaded.digest),
             SpecSource{std::move(recorded->spec_file), std::move(recorded->loaded.text),
                        std::move(recorded->overrides)}};
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
  auto job = request.from_record
                 ? load_recorded(*request.from_record, request, daemon, surroundings.env)
                 : load_checked_job(request.spec_file, request.overrides, request.unsafe_mounts,
                                    daemon, surroundings.env);
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

// What the engine is: remembered, or learned now and remembered.
Result<EngineProfile> known_engine(engine::EngineClient& client, DaemonMemory& memory,
                                   const std::string& address, bool* learned_now) {
  if (auto known = memory.profile(address, client.server_version())) return *known;
  auto learned = learn_engine(client);
  if (!learned) return std::unexpected(learned.error());
  memory.remember_profile(address, client.server_version(), *learned);
  *learned_now = true;
  return learned;
}

// Stage 3: the image; stage 4: what the plan depends on, gathered, and the plan made once.
// `client`: the engine, where it answers (it ranks the images it holds first, and says its
// machine for a job with a timeout). Nothing is pulled here: every check that needs no pull is
// made before it.
Result<TrainPlan> plan_job(PreparedJob prepared, const TrainRequest& request,
                           const Surroundings& surroundings, DaemonMemory& memory,
                           engine::EngineClient* client) {
  const jobspec::JobSpec& spec = prepared.job.spec;
  auto image = choose_job_image(spec, prepared.facts, prepared.catalog, prepared.mirrors, client);
  if (!image) return std::unexpected(image.error());
  PlanInputs inputs{.spec = spec,
                    .host = surroundings.host(prepared.job.digest, surroundings.env),
                    .attachment = request.attachment,
                    .image = image->image.familiar()};
  // NCCL over InfiniBand needs the host's RDMA devices (only a local daemon's are in sight).
  if (spec.distributed && prepared.daemon.local) inputs.devices = rdma_devices();
  if (const auto& allocation = prepared.allocation) {
    inputs.slurm_job = allocation->job_id;
    inputs.slurm_step = allocation->step_id;
    // Slurm SIGKILLs dlrun KillWait seconds after its SIGTERM: the job's stop must fit in it.
    inputs.stop_grace_seconds = stop_grace_within(slurm_kill_wait_seconds());
    spdlog::debug("inside Slurm: a stop gives the job {}s before SIGKILL",
                  inputs.stop_grace_seconds);
  }
  const std::string& address = surroundings.endpoint.display;
  // What the engine is decides the plan's log driver and whether the deadline's program suits
  // its machine: asked once a week, remembered between.
  bool learned_now = false;
  if (client != nullptr) {
    auto engine = known_engine(*client, memory, address, &learned_now);
    if (!engine) return std::unexpected(engine.error());
    inputs.engine = std::move(*engine);
  }
  // Which GPUs NVIDIA's CDI spec names, where the engine's host is this one.
  if (!std::holds_alternative<jobspec::GpuNone>(spec.gpus) && inputs.engine) {
    inputs.cdi_gpus = engine_cdi_devices(kNvidiaCdiKind, *inputs.engine, prepared.daemon.local);
  }
  const auto known = memory.recall(address, client ? client->server_version() : "");
  if (known) inputs.refused = known->refused;
  auto plan = make_plan(inputs);
  if (!plan) return std::unexpected(plan.error());
  if (learned_now && plan->log.driver != "local" && plan->log.driver != "none") {
    spdlog::info(
        "{} at {} has no \"local\" log driver: jobs' output is kept by its {} driver, "
        "at most resources.log_size of it",
        inputs.engine->name(), address, plan->log.driver);
  }
  if (learned_now && plan->limits_dropped)
    spdlog::warn("{}", unenforced_limits_warning(*inputs.engine, address));
  if (known) {
    for (const auto& setting : plan->left_to_daemon) {
      // Warned in full when it was found out; shown again only to those who ask (-v).
      spdlog::debug("{}", gave_way_warning(setting, client->identity(), address,
                                           "on " + format_day(known->learned)));
    }
  }
  return TrainPlan{.inputs = std::move(inputs),
                   .image = std::move(image->image),
                   .mirrored = image->mirrored,
                   .mirrors = std::move(prepared.mirrors),
                   .catalog = std::move(prepared.catalog),
                   .facts = std::move(prepared.facts),
                   .daemon = prepared.daemon,
                   .plan = std::move(*plan),
                   .source = std::move(prepared.job.source),
                   .engine_unanswered = std::nullopt};
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
  auto client = connect(surroundings);
  engine::EngineClient* engine = client ? &*client : nullptr;
  const bool builds = prepared->job.spec.build.has_value();
  DaemonMemory memory = DaemonMemory::load(surroundings.env);
  auto planned = plan_job(std::move(*prepared), request, surroundings, memory, engine);
  if (!planned) return std::unexpected(planned.error());
  if (!client) {
    planned->engine_unanswered = client.error();
    return planned;
  }
  // The image as the engine has it: its entrypoint and command are what a deadline wraps. A
  // built image is known only once built.
  if (builds) return planned;
  auto details = client->inspect_image(planned->plan.image);
  if (!details) return std::unexpected(details.error());
  const std::optional<engine::ImageDetails>& held = *details;
  if (!held) return planned;
  planned->inputs.supplied = SuppliedImage{
      .name = planned->plan.image, .base = {}, .entrypoint = held->entrypoint, .cmd = held->cmd};
  auto plan = make_plan(planned->inputs);
  if (!plan) return std::unexpected(plan.error());
  planned->plan = std::move(*plan);
  return planned;
}

namespace {

// Stage 5's first part: the job's image present on the engine, pulled as the spec says, checked
// against the host's driver, and built from the spec's "build" section where it has one.
Result<SuppliedImage> supply_job_image(engine::EngineClient& client, const TrainPlan& planned,
                                       const TrainRequest& request,
                                       const Surroundings& surroundings, SignalWatcher& signals,
                                       bool* built_now) {
  const jobspec::JobSpec& job = planned.job();
  const std::string& image = planned.plan.image;
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
  const engine::ImageDetails& supplied = supplied_base->details;
  // The base decides what CUDA the job gets: checked before any build, which cannot change it.
  if (!std::holds_alternative<jobspec::GpuNone>(job.gpus) && planned.facts.driver) {
    if (auto fits = check_image_fits_host(image, supplied.env, select_gpus(planned.facts, job.gpus),
                                          planned.catalog);
        !fits) {
      return std::unexpected(fits.error());
    }
  }
  if (!job.build) {
    return SuppliedImage{image,          {},          supplied.entrypoint,
                         supplied.cmd,   supplied.id, supplied.repo_digests,
                         supplied.labels};
  }
  // A private base builds with the credentials it was pulled with, should the builder pull it.
  ImageBuildOptions build{.rebuild = request.rebuild, .display = request.pull_display};
  auto credentials =
      supplied_base->pulled
          ? Result<std::optional<engine::RegistryCredentials>>(supplied_base->pulled_with)
          : registry_credentials(planned.image, supply, docker_config);
  if (!credentials) return std::unexpected(credentials.error());
  if (const auto& found = *credentials)
    build.registry_config = engine::encode_registry_config(planned.image.registry, *found);
  auto built = build_job_image(client, *job.build, job.name, image, supplied, build,
                               surroundings.env, signals);
  if (!built) return std::unexpected(built.error());
  *built_now = built->built;
  const engine::ImageDetails& details = built->details;
  return SuppliedImage{built->tag,    image,      details.entrypoint,
                       details.cmd,   details.id, details.repo_digests,
                       details.labels};
}

Result<void> require_build_section(const jobspec::JobSpec& job, std::string_view missing) {
  if (job.build) return {};
  return fail(ErrorKind::usage, "the spec has no \"build\" section: " + std::string(missing),
              "add packages, e.g. \"build\": {\"pip\": [\"transformers==4.44.2\"]}; "
              "`dlrun train` pulls the image itself");
}

}  // namespace

Result<BuildResult> build(const TrainRequest& request, const Surroundings& surroundings) {
  auto prepared = prepare_job(request, surroundings);
  if (!prepared) return std::unexpected(prepared.error());
  if (auto has = require_build_section(prepared->job.spec,
                                       "its image runs as it is, with nothing to build");
      !has) {
    return std::unexpected(has.error());
  }
  // Before any thread exists, so that every thread inherits the blocked signals.
  SignalWatcher signals;
  auto client = connect(surroundings);
  if (!client) return std::unexpected(client.error());
  DaemonMemory memory = DaemonMemory::load(surroundings.env);
  auto planned = plan_job(std::move(*prepared), request, surroundings, memory, &*client);
  if (!planned) return std::unexpected(planned.error());
  bool built = false;
  auto supplied = supply_job_image(*client, *planned, request, surroundings, signals, &built);
  if (!supplied) return std::unexpected(supplied.error());
  return BuildResult{supplied->name, supplied->base, built};
}

Result<std::string> build_dockerfile(const TrainPlan& planned, const EnvLookup& env) {
  const auto& job = planned.job();
  if (!job.build) {
    return std::unexpected(require_build_section(job, "there is no Dockerfile").error());
  }
  auto recipe = make_build_recipe(
      *job.build, job.name, {.reference = planned.plan.image, .id = planned.plan.image, .user = {}},
      env);
  if (!recipe) return std::unexpected(recipe.error());
  return recipe->dockerfile;
}

namespace {

// The newest checkpoint under the job's outputs, as the container names it
// ("/outputs/ckpt-9.pt"); empty for none, or where the outputs are on another host.
std::string resume_point(const jobspec::JobSpec& job, bool outputs_here) {
  if (!job.checkpoint || !job.outputs || !outputs_here) return {};
  auto newest = newest_checkpoint(*job.outputs, *job.checkpoint);
  if (!newest) return {};
  return std::string(jobspec::kOutputsTarget) + "/" + *newest;
}

// Waits `delay` before the next attempt and, where the engine went away under the last one
// (`gone_container` names its container), until the engine answers again, for at most
// `engine_limit` more; then removes that container, which the engine's restart left behind.
// Returns the signal that ended the wait, if one did.
std::optional<int> pause_before_retry(engine::EngineClient& client, SignalWatcher& signals,
                                      std::chrono::seconds delay, std::chrono::seconds engine_limit,
                                      const std::string& gone_container) {
  if (auto signo = signals.wait_for(delay)) return signo;
  if (gone_container.empty()) return std::nullopt;
  const auto give_up = std::chrono::steady_clock::now() + engine_limit;
  while (!client.version() && std::chrono::steady_clock::now() < give_up) {
    if (auto signo = signals.wait_for(std::chrono::seconds(1))) return signo;
  }
  (void)client.remove_container(gone_container);
  return std::nullopt;
}

// The record of this run (run_record.hpp) but for its end: what it runs, where, on what.
RunRecord start_record(const TrainRequest& request, const TrainPlan& planned,
                       const ContainerPlan& plan, const engine::EngineClient& client,
                       const Surroundings& surroundings) {
  const jobspec::JobSpec& job = planned.job();
  RunRecord record;
  record.dlrun_version = request.dlrun_version;
  record.job = job.name;
  record.spec_file = planned.source.file;
  record.spec_digest = planned.inputs.host.spec_digest;
  record.spec_text = planned.source.text;
  record.overrides = planned.source.overrides;
  record.image = plan.image;
  // The image as supply found or built it: no request more.
  if (const auto& supplied = planned.inputs.supplied) {
    record.image_id = supplied->id;
    record.image_digests = supplied->repo_digests;
    // What a built image was made from, as its build labelled it (build.md).
    constexpr std::string_view kBuildPrefix = "dlrun.build.";
    for (const auto& [key, value] : supplied->labels) {
      if (key.starts_with(kBuildPrefix) && key != kBuildStepLabel)
        record.build[key.substr(kBuildPrefix.size())] = value;
    }
  }
  record.engine = planned.inputs.engine ? planned.inputs.engine->name() : client.identity().name();
  record.engine_api = client.api_version().to_string();
  record.engine_address = surroundings.endpoint.display;
  if (planned.facts.driver) record.driver = planned.facts.driver->to_string();
  if (planned.facts.cuda_driver) record.cuda = planned.facts.cuda_driver->to_string();
  if (!std::holds_alternative<jobspec::GpuNone>(job.gpus)) {
    for (const auto& gpu : select_gpus(planned.facts, job.gpus).gpus) {
      const auto& capability = gpu.compute_capability;
      record.gpus.push_back({gpu.index, gpu.uuid, gpu.name,
                             capability ? "sm_" + std::to_string(capability->major()) +
                                              std::to_string(capability->minor())
                                        : std::string()});
    }
  }
  // Mount sources are this host's paths only where the daemon is.
  if (planned.daemon.local) record.code = code_versions(plan);
  record.started = utc_now();
  return record;
}

}  // namespace

Result<TrainResult> train(const TrainRequest& request, const Surroundings& surroundings) {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto prepared = prepare_job(request, surroundings);
  if (!prepared) return std::unexpected(prepared.error());
  // Before any thread exists, so that every thread inherits the blocked signals.
  SignalWatcher signals;
  auto connected = connect(surroundings);
  if (!connected) return std::unexpected(connected.error());
  engine::EngineClient& client = *connected;
  remove_finished_orphans(client);
  DaemonMemory memory = DaemonMemory::load(surroundings.env);
  auto planned_job = plan_job(std::move(*prepared), request, surroundings, memory, &client);
  if (!planned_job) return std::unexpected(planned_job.error());
  TrainPlan& planned = *planned_job;
  const jobspec::JobSpec& job = planned.job();
  // A GPU the driver says is broken is refused before anything is pulled.
  if (auto healthy = check_gpu_health(planned.facts, job.gpus); !healthy) {
    return std::unexpected(healthy.error());
  }

  // Stage 5: the engine's requests.
  const auto supply_began = Clock::now();
  bool built = false;
  auto supplied = supply_job_image(client, planned, request, surroundings, signals, &built);
  if (!supplied) return std::unexpected(supplied.error());
  PlanInputs& inputs = planned.inputs;
  inputs.supplied = std::move(*supplied);
  if (job.checkpoint && !planned.daemon.local) {
    spdlog::warn(
        "checkpoint: the outputs are on the Docker host ({}), which dlrun cannot read: "
        "DLRUN_RESUME_FROM is not set",
        surroundings.endpoint.display);
  }
  inputs.resume_from = resume_point(job, planned.daemon.local);
  auto job_plan = make_plan(inputs);
  if (!job_plan) return std::unexpected(job_plan.error());
  TrainResult result{.job = job.name,
                     .container = job_plan->container_name,
                     .image = job_plan->image,
                     .engine = inputs.engine ? inputs.engine->name() : client.identity().name(),
                     .gpus = job_plan->gpu_path,
                     .base_image = inputs.supplied->base,
                     .built = built};
  result.pull_seconds = seconds_since(supply_began);

  std::optional<OutputsDirectory> outputs;
  if (job.outputs && !planned.daemon.local) {
    spdlog::info("outputs {}: a path on the Docker host ({}), which must have it",
                 job.outputs->string(), surroundings.endpoint.display);
  } else if (job.outputs) {
    auto directory = OutputsDirectory::prepare(*job.outputs);
    if (!directory) return std::unexpected(directory.error());
    outputs.emplace(std::move(*directory));
  }

  spdlog::info("job {}: {} in container {}", job.name, job_plan->image, job_plan->container_name);
  if (!inputs.resume_from.empty())
    spdlog::info("job {}: resuming from {}", job.name, inputs.resume_from);
  const RunOptions run_options{.keep = request.keep,
                               .stdout_fd = surroundings.stdout_fd,
                               .stderr_fd = surroundings.stderr_fd};
  // Followed to its end, or (detached) started and left running with its log kept.
  const auto run_plan = [&](const ContainerPlan& plan) -> Result<JobExit> {
    const std::string body = create_request_body(plan, Secrets::revealed);
    if (request.attachment == Attachment::follow) {
      return run_job(client, plan, body, run_options, signals);
    }
    auto id = start_detached(client, plan, body);
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
  // One attempt: its plan run, and a default of dlrun's that the daemon refuses given way to
  // the daemon's own value: a new plan from the same inputs plus the refusal, once; the daemon
  // is remembered so that later runs ask for its value at once. The user's own value is refused,
  // with the fix.
  const auto run_attempt = [&]() -> Result<JobExit> {
    auto status = run_plan(*job_plan);
    std::optional<std::string> giving_way;
    while (!status && status.error().kind == ErrorKind::setting_refused &&
           (giving_way = default_to_give_way(*job_plan, status.error().subject))) {
      const std::string& setting = *giving_way;
      spdlog::warn("{}",
                   gave_way_warning(setting, client.identity(), surroundings.endpoint.display));
      memory.remember_refusal(surroundings.endpoint.display, client.server_version(), setting);
      inputs.refused.push_back(setting);
      job_plan = make_plan(inputs);
      if (!job_plan) return std::unexpected(job_plan.error());
      status = run_plan(*job_plan);
    }
    return status;
  };
  // Attempts as the spec's retry policy allows, each in a fresh container from the same inputs.
  const jobspec::RetryPolicy policy = job.retry.value_or(jobspec::RetryPolicy{});
  const bool retries = policy.attempts > 1 && request.attachment == Attachment::follow;
  if (policy.attempts > 1 && request.attachment == Attachment::detach) {
    spdlog::warn(
        "retry: a detached job is not retried yet (docs/retries.md); run it in the foreground, "
        "or under Slurm, to have its {} attempts",
        policy.attempts);
  }
  RunRecord record = start_record(request, planned, *job_plan, client, surroundings);
  const auto run_began = Clock::now();
  Result<JobExit> status = JobExit{};
  for (int attempt = 1;; ++attempt) {
    const auto attempt_began = Clock::now();
    if (attempt > 1) {
      inputs.attempt = attempt;
      inputs.resume_from = resume_point(job, planned.daemon.local);
      job_plan = make_plan(inputs);
      if (!job_plan) return std::unexpected(job_plan.error());
      spdlog::info("job {}: attempt {} of {} in container {}{}", job.name, attempt, policy.attempts,
                   job_plan->container_name,
                   inputs.resume_from.empty() ? "" : ", resuming from " + inputs.resume_from);
    }
    status = run_attempt();
    std::optional<std::string> reason;
    if (status) {
      reason = retry_reason(policy, *status);
    } else if (engine_went_away(status.error()) && policy.on_engine_restart) {
      reason = "the engine went away (" + status.error().message + ")";
    }
    result.attempts.push_back(Attempt{.number = attempt,
                                      .exit = status ? *status : JobExit{},
                                      .container = job_plan->container_name,
                                      .retry_reason = {},
                                      .resume_from = inputs.resume_from,
                                      .seconds = seconds_since(attempt_began)});
    if (!retries || !reason || attempt >= policy.attempts) break;
    result.attempts.back().retry_reason = *reason;
    const std::chrono::seconds delay = retry_delay(policy, attempt + 1);
    spdlog::warn("job {}: attempt {} of {} ended with {}: attempt {} in {}", job.name, attempt,
                 policy.attempts, *reason, attempt + 1, jobspec::format_duration(delay));
    const std::string gone = status ? std::string() : job_plan->container_name;
    if (auto stop = pause_before_retry(client, signals, delay, policy.max_delay, gone)) {
      const SignalOutcome& outcome = signal_outcome(*stop);
      spdlog::warn("{}: no more attempts", outcome.words);
      result.attempts.back().retry_reason.clear();
      status = JobExit{.exit_code = outcome.exit_code(), .ending = Ending::stopped};
      break;
    }
  }
  if (!status) return std::unexpected(status.error());
  // A job that never started wrote nothing: an outputs directory made for it goes again.
  if (outputs && (!status->never_started || result.attempts.size() > 1)) outputs->keep();
  result.exit = *status;
  result.container = job_plan->container_name;
  if (result.id.empty()) result.id = status->container_id;
  result.run_seconds = seconds_since(run_began);
  // What ran, beside what it made; a job left running has no end to record yet.
  record.container = result.container;
  record.attempts = result.attempts;
  if (!status->detached) {
    record.ended = utc_now();
    record.exit = *status;
  }
  const bool ran = !status->never_started || result.attempts.size() > 1;
  if (outputs && ran && job.outputs) {
    if (auto written = write_run_record(*job.outputs, record); !written) {
      spdlog::warn("{}; {}", written.error().message, written.error().hint);
    }
  }
  result.record = std::move(record);
  return result;
}

}  // namespace dlrun::run
