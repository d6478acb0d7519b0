#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/run/host/engine_profile.hpp"
#include "dlrun/run/host/host_context.hpp"
#include "dlrun/run/plan/gpu_path.hpp"
#include "dlrun/user_files.hpp"

// A job spec made concrete for one run on one host: every default applied, every host value
// (uid, secrets) filled in. The create request and the docker command line are both drawn
// from a plan, so they cannot disagree.
namespace dlrun::run {

struct PlannedEnv {
  std::string name;
  std::string value;
  // Set for a secret: the host variable its value came from. A secret's value is never printed.
  std::optional<std::string> host_variable;
  bool secret() const { return host_variable.has_value(); }
};

enum class MountType { bind, volume, tmpfs };

struct PlannedMount {
  MountType type = MountType::bind;
  std::string source;
  std::string target;
  bool read_only = false;
  std::int64_t tmpfs_bytes = 0;
  int tmpfs_mode = 0;
};

// Who chose a setting. dlrun's own choices are preferences: where a daemon refuses one, the job
// runs with the daemon's value instead (run/defaults.hpp). The user's are demands.
enum class ChosenBy { dlrun, user };

struct PlannedUlimit {
  std::string name;    // as docker run --ulimit names it: memlock, stack
  std::int64_t value;  // soft and hard; jobspec::kUnlimited for none
  ChosenBy chosen_by = ChosenBy::dlrun;
};

// Deep-learning defaults that users otherwise learn the hard way: NVIDIA's framework container
// guide recommends unlimited locked memory and a 64 MB stack.
inline constexpr std::int64_t kStackBytes = 67108864;

// Between SIGTERM and SIGKILL, unless Slurm's KillWait is shorter (slurm_allocation.hpp).
inline constexpr int kStopGraceSeconds = 10;

// How the engine keeps the job's output (for dlrun logs and attach, after a detach), at most
// resources.log_size of it: Docker's `local` driver in files rotated among them; where the engine
// has no `local` (Podman), one file capped at the size (`k8s-file`, whose cap truncates it).
struct PlannedLog {
  std::string driver;                          // "local", "json-file", "k8s-file", "none"
  std::map<std::string, std::string> options;  // the driver's --log-opt settings
};

struct ContainerPlan {
  std::string container_name;
  std::string image;
  std::optional<std::vector<std::string>> cmd;  // nullopt: the image's CMD
  // Set only to run the image's entrypoint under the job's deadline (dlrun-timeout).
  std::optional<std::vector<std::string>> entrypoint;
  // The spec's timeout, kept inside the container by dlrun-timeout (run/timeout_program.hpp).
  std::optional<std::chrono::seconds> timeout;
  std::optional<std::string> workdir;
  std::vector<PlannedEnv> env;
  std::string user;  // "uid:gid"; empty keeps the image's USER
  // HostConfig.UsernsMode: "keep-id" where a rootless Podman maps the invoking user to the
  // same uid inside (else its uid lands on a subordinate id and cannot write the outputs).
  std::string userns;
  std::vector<PlannedMount> mounts;
  std::map<std::string, std::string> labels;
  jobspec::Resources resources;
  PlannedLog log;
  std::vector<PlannedUlimit> ulimits;  // absent from the list: the daemon's own
  // The engine would not apply dlrun's limits (a rootless Podman: EngineProfile::
  // drops_requested_limits, enforces_resource_limits): none are asked, and the job has the
  // user's own. unenforced_limits_warning says which and why.
  bool limits_dropped = false;
  // tini as PID 1, so SIGTERM reaches the training process and zombies are reaped. dlrun's
  // choice: false only where the daemon has no init to give.
  bool init = true;
  jobspec::GpuRequest gpus;
  PlannedGpus gpu_path;  // how they reach the container, and why that way
  jobspec::NetworkMode network = jobspec::NetworkMode::bridge;
  // Host devices passed in as they are (a distributed job's /dev/infiniband/*).
  std::vector<std::string> devices;
  std::vector<std::string> cap_add;
  jobspec::PullPolicy pull = jobspec::PullPolicy::missing;
  // Between SIGTERM and SIGKILL when the job is stopped: by the engine, by dlrun-timeout, by dlrun.
  int stop_grace_seconds = kStopGraceSeconds;
  // dlrun's defaults ("memlock", "stack", "init"; "ulimits" for every limit) this plan leaves
  // to the daemon, which refuses them.
  std::vector<std::string> left_to_daemon;
};

// Where a `user: host` job gets a writable HOME: the invoking uid has no home in the image.
inline constexpr std::string_view kHostUserHome = "/home/dlrun";
inline constexpr std::int64_t kHostUserHomeBytes = 1LL << 30;

// The ulimits dlrun asks for when the spec does not say.
std::vector<PlannedUlimit> default_ulimits();

// follow: stream the job to its end. detach: start it and leave it running (dlrun logs, wait).
enum class Attachment { follow, detach };

// The job's image as the engine supplied it (pulled, or built from the spec's "build").
struct SuppliedImage {
  std::string name;  // as the container is to name it: the image, or the built image's tag
  std::string base;  // what `name` was built from; empty when not built
  // The image's own, which the job's deadline wraps: known only once the image is on the engine.
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  // As the engine holds it, for the run record: its id, registry digests and labels.
  std::string id;
  std::vector<std::string> repo_digests;
  std::map<std::string, std::string> labels;
};

// Everything a container request depends on, gathered before the plan is made. A plan is never
// edited: what is learned later (the supplied image, a refused default) makes a new plan from
// these inputs plus that fact.
struct PlanInputs {
  jobspec::JobSpec spec;  // with the command line applied, fitted to a Slurm allocation
  HostContext host;
  Attachment attachment = Attachment::follow;
  std::string image;  // as the engine will know it (resolved, mirrored); empty: the spec's
  // nullopt: not on the engine yet, so its entrypoint and command are not known.
  std::optional<SuppliedImage> supplied;
  // What the engine is and can do (its machine, its log drivers); nullopt: not known (a dry run
  // without an engine), and planned as for Docker.
  std::optional<EngineProfile> engine;
  // The devices NVIDIA's CDI spec names on the engine's host ("0", "GPU-…", "all"), read where
  // dlrun can (a local engine); nullopt: out of sight.
  std::optional<std::vector<std::string>> cdi_gpus;
  std::vector<std::string> refused;  // dlrun's defaults the daemon is known to refuse
  std::vector<std::string> devices;  // host devices passed in as they are (RDMA, distributed jobs)
  std::string slurm_job;             // the Slurm job (and step) this run is a part of
  std::string slurm_step;
  int stop_grace_seconds = kStopGraceSeconds;
  // Which attempt of the spec's retry policy this plan is for (1, 2, …), and the newest
  // checkpoint under its outputs, as the container names it ("/outputs/ckpt-9.pt"; empty: none).
  int attempt = 1;
  std::string resume_from;
};

// The one function that makes a plan. It also refuses, before anything is pulled, what no
// engine would run: a detached job whose output is not kept, a deadline the daemon's machine
// cannot run.
Result<ContainerPlan> make_plan(const PlanInputs& inputs);

// Whether `plan` holds dlrun's own choice of `setting` ("memlock", "stack", "init"), which a
// daemon that refuses it may have instead: false for a value the user asked for.
bool dlrun_default(const ContainerPlan& plan, std::string_view setting);

// Which of dlrun's defaults gives way when the daemon refuses `refused` (the setting its error
// names): that default itself; or, for a limit the plan never asked for (Podman adds open-file
// and process limits of its own to any request that sets one), all of dlrun's limits
// ("ulimits"); nullopt where the refusal is of nothing dlrun chose.
std::optional<std::string> default_to_give_way(const ContainerPlan& plan, std::string_view refused);

// The job's GPUs as the dlrun.gpus label records them: "all", "2", "0,3"; empty for none.
std::string gpus_label(const jobspec::GpuRequest& gpus);

}  // namespace dlrun::run
