#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/engine/endpoint.hpp"
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/engine/pull_stream.hpp"
#include "dlrun/engine/transport.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/jobspec/overrides.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/run/host/host_paths.hpp"
#include "dlrun/run/host/surroundings.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "dlrun/run/job/job.hpp"
#include "dlrun/run/job/retry.hpp"
#include "dlrun/run/job/run_record.hpp"
#include "dlrun/run/plan/plan.hpp"
#include "dlrun/run/slurm/distributed.hpp"
#include "dlrun/user_files.hpp"

// `dlrun train` from top to bottom, as stages that each take what the last one made:
//   the job (spec + flags, validated once) → the Docker host's facts → the image choice →
//   the plan's inputs → the plan (make_plan; nothing edits it afterwards) → the engine's
//   requests. What is learned on the way (the pulled image, a refused default) makes a new plan
//   from the same inputs plus that fact.
namespace dlrun::run {

// What `dlrun train` was asked.
struct TrainRequest {
  std::filesystem::path spec_file;
  jobspec::Overrides overrides;
  KeepContainer keep = KeepContainer::remove;
  Attachment attachment = Attachment::follow;
  UnsafeMounts unsafe_mounts = UnsafeMounts::refuse;
  resolve::HostFactsOverrides host;    // --driver-version, --gpu-arch
  std::optional<std::string> catalog;  // --catalog
  PullDisplayMode pull_display = PullDisplayMode::plain;
  bool rebuild = false;       // build the spec's "build" section afresh, even when it was built
  NodePlacement placement;    // --nodes, --node-rank, --master-addr, --master-port
  std::string dlrun_version;  // "0.1.0 (commit abcdef123456)", for the run record
  // --from-record: the job a run record describes, instead of spec_file's (from_record.hpp).
  std::optional<std::filesystem::path> from_record;
};

// Where a job's spec came from, as its run record keeps it.
struct SpecSource {
  std::filesystem::path file;    // absolute
  std::string text;              // as written
  jobspec::Overrides overrides;  // the command line's changes (and a record's)
};

// Stage 1 and the Docker host's paths: what `dlrun validate` checks. `daemon` is where bind
// sources and outputs live (local unless the endpoint says otherwise).
Result<jobspec::JobSpec> check_job(const std::filesystem::path& spec_file,
                                   const jobspec::Overrides& overrides, UnsafeMounts unsafe,
                                   const DaemonHost& daemon, const EnvLookup& env);

// Stages 1-4: the job, the host, the image, and the plan with what it was made from.
struct TrainPlan {
  PlanInputs inputs;       // inputs.spec is the job
  engine::ImageRef image;  // what the engine runs and pulls: after registry mirrors
  bool mirrored = false;   // `image` is a mirror's name for the spec's image
  engine::RegistryMirrors mirrors;
  resolve::Catalog catalog;
  resolve::HostFacts facts;  // the Docker host's driver and GPUs, where needed and known
  DaemonHost daemon;
  ContainerPlan plan;  // make_plan(inputs)
  SpecSource source;
  // A dry run's engine that did not answer: the plan is made without what it would have told.
  std::optional<Error> engine_unanswered;

  const jobspec::JobSpec& job() const { return inputs.spec; }
};

// The plan `dlrun train --dry-run` shows, made as `train` makes it. It asks the engine only what
// it holds (nothing is pulled, built or created): the images it has, its machine, and the
// image's entrypoint and command where the image is there; without an answer it plans without
// them, and says so (engine_unanswered).
Result<TrainPlan> plan_train(const TrainRequest& request, const Surroundings& surroundings);

// What `dlrun train` came to: the job's exit, where it ran, and how long each stage took.
struct TrainResult {
  JobExit exit;             // exit.exit_code is dlrun's (the job's own, or 124, 130, 137, …)
  std::string job;          // the job's name
  std::string container;    // the container's name
  std::string id;           // the container's id, when started detached
  std::string image;        // as the engine ran it
  std::string engine;       // what ran it: "Docker 26.1.5", "Podman 4.3.1"
  PlannedGpus gpus;         // how the job's GPUs reached it, and why (delivery none: no GPUs)
  std::string base_image;   // what `image` was built from, for a spec with "build"
  bool built = false;       // the image was built by this run
  double pull_seconds = 0;  // making the image present (an inspect when it was there)
  double run_seconds = 0;   // from create to the job's end (detached: to its start)
  // Each attempt the spec's retry policy made, the last one's exit being `exit`.
  std::vector<Attempt> attempts;
  // What ran (run_record.hpp): written to the outputs as dlrun-run.json, where there are some.
  RunRecord record;
};

// `dlrun build`: the job's image, pulled and built as `train` would, and nothing run.
struct BuildResult {
  std::string tag;
  std::string base_image;
  bool built = false;  // false: it was there already
};
Result<BuildResult> build(const TrainRequest& request, const Surroundings& surroundings);

// `dlrun build --print` and `train --dry-run`: the Dockerfile of the planned job's "build"
// section, made without contacting the engine (it builds FROM the base image's id; this shows
// its name). `env`: where its `from_env` variables are read.
Result<std::string> build_dockerfile(const TrainPlan& planned, const EnvLookup& env);

// The whole run: plan, then pull, preflight, outputs, create, stream, wait, clean up.
Result<TrainResult> train(const TrainRequest& request, const Surroundings& surroundings);

}  // namespace dlrun::run
