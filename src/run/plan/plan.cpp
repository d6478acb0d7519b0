#include "dlrun/run/plan/plan.hpp"

#include <algorithm>
#include <utility>

#include "dlrun/jobspec/exec_limits.hpp"
#include "dlrun/run/host/engine_profile.hpp"
#include "dlrun/run/plan/labels.hpp"
#include "dlrun/run/plan/timeout_program.hpp"
#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

bool env_has(const std::vector<PlannedEnv>& env, std::string_view name) {
  return std::any_of(env.begin(), env.end(),
                     [&](const PlannedEnv& var) { return var.name == name; });
}

}  // namespace

std::vector<PlannedUlimit> default_ulimits() {
  return {{"memlock", jobspec::kUnlimited, ChosenBy::dlrun},  // first: the spec may set it
          {"stack", kStackBytes, ChosenBy::dlrun}};
}

namespace {

// What no engine would run, found before anything is pulled or built.
Result<void> check_runnable(const PlanInputs& inputs) {
  const jobspec::JobSpec& spec = inputs.spec;
  if (inputs.attachment == Attachment::detach && spec.resources.log_bytes == 0) {
    return fail(ErrorKind::usage,
                "a detached job needs its output kept, but the spec says resources.log_size "
                "\"none\"",
                "give resources.log_size a size (100m unless set), or run the job in the "
                "foreground");
  }
  // The timeout is kept inside the container, by dlrun's own program, built for this machine.
  const std::string engine_machine = inputs.engine ? inputs.engine->architecture : "";
  if (spec.timeout && !engine_machine.empty() &&
      machine_name(engine_machine) != timeout_program_architecture()) {
    return fail(ErrorKind::usage,
                "the job's timeout is kept inside its container by a program built for " +
                    std::string(timeout_program_architecture()) + ", but the engine runs on " +
                    engine_machine,
                "run dlrun on a machine like the engine's, or drop \"timeout\" from the spec");
  }
  if (spec.resources.log_bytes > 0 && inputs.engine && !inputs.engine->log_drivers.empty() &&
      !inputs.engine->has_log_driver("local") && !inputs.engine->has_log_driver("json-file") &&
      !inputs.engine->has_log_driver("k8s-file")) {
    return fail(ErrorKind::engine,
                inputs.engine->name() +
                    " has no log driver that keeps a job's output in files of a capped size "
                    "(local, json-file or k8s-file); it has " +
                    joined(inputs.engine->log_drivers, ", "),
                "run the job in the foreground with resources.log_size \"none\"");
  }
  return {};
}

// The engine keeps at most `bytes` of the job's output, in the first of its drivers that can.
PlannedLog log_keeping(std::int64_t bytes, const std::optional<EngineProfile>& engine) {
  if (bytes == 0) return {"none", {}};
  // Docker's `local` and `json-file` rotate among files; two halves keep the newest output
  // whatever the moment.
  constexpr std::int64_t kLogFiles = 2;
  const auto rotated = [&](std::string driver) {
    PlannedLog log{
        std::move(driver),
        {{"max-size", std::to_string(bytes / kLogFiles)}, {"max-file", std::to_string(kLogFiles)}}};
    if (log.driver == "local") log.options["compress"] = "false";
    return log;
  };
  if (!engine || engine->log_drivers.empty() || engine->has_log_driver("local")) {
    return rotated("local");
  }
  if (engine->has_log_driver("json-file")) return rotated("json-file");
  return {"k8s-file", {{"max-size", std::to_string(bytes)}}};
}

bool is_dlrun_ulimit(const PlannedUlimit& limit, std::string_view setting) {
  return limit.name == setting && limit.chosen_by == ChosenBy::dlrun;
}

// dlrun's choice of `setting` left to the daemon; false where the plan holds no such choice.
bool leave_to_daemon(ContainerPlan& plan, std::string_view setting) {
  if (setting == "init") return std::exchange(plan.init, false);
  if (setting == "ulimits") {
    return std::erase_if(plan.ulimits, [](const PlannedUlimit& limit) {
             return limit.chosen_by == ChosenBy::dlrun;
           }) > 0;
  }
  return std::erase_if(plan.ulimits, [&](const PlannedUlimit& limit) {
           return is_dlrun_ulimit(limit, setting);
         }) > 0;
}

}  // namespace

bool dlrun_default(const ContainerPlan& plan, std::string_view setting) {
  if (setting == "init") return plan.init;  // the init process is always dlrun's choice
  return std::any_of(plan.ulimits.begin(), plan.ulimits.end(),
                     [&](const PlannedUlimit& limit) { return is_dlrun_ulimit(limit, setting); });
}

std::optional<std::string> default_to_give_way(const ContainerPlan& plan,
                                               std::string_view refused) {
  if (dlrun_default(plan, refused)) return std::string(refused);
  if (refused == "init") return std::nullopt;
  const bool asked_for_it =
      std::any_of(plan.ulimits.begin(), plan.ulimits.end(),
                  [&](const PlannedUlimit& limit) { return limit.name == refused; });
  const bool dlrun_asks =
      std::any_of(plan.ulimits.begin(), plan.ulimits.end(),
                  [](const PlannedUlimit& limit) { return limit.chosen_by == ChosenBy::dlrun; });
  const bool user_asks =
      std::any_of(plan.ulimits.begin(), plan.ulimits.end(),
                  [](const PlannedUlimit& limit) { return limit.chosen_by == ChosenBy::user; });
  // With the user's own limits asked for too, the engine's would come back: no way round it.
  if (!asked_for_it && dlrun_asks && !user_asks) return "ulimits";
  return std::nullopt;
}

Result<ContainerPlan> make_plan(const PlanInputs& inputs) {
  if (auto runnable = check_runnable(inputs); !runnable) return std::unexpected(runnable.error());
  const jobspec::JobSpec& spec = inputs.spec;
  const HostContext& host = inputs.host;
  ContainerPlan plan;
  plan.container_name = "dlrun-" + spec.name + "-" + host.run_suffix;
  // Each attempt is a container of its own, which a kept one's name must not collide with.
  if (inputs.attempt > 1) plan.container_name += "-a" + std::to_string(inputs.attempt);
  plan.image = inputs.supplied        ? inputs.supplied->name
               : inputs.image.empty() ? spec.image
                                      : inputs.image;
  plan.workdir = spec.workdir;
  plan.resources = spec.resources;
  plan.log = log_keeping(spec.resources.log_bytes, inputs.engine);
  plan.gpus = spec.gpus;
  auto gpu_path = choose_gpu_path(spec, inputs.engine, inputs.cdi_gpus);
  if (!gpu_path) return std::unexpected(gpu_path.error());
  plan.gpu_path = std::move(*gpu_path);
  plan.network = spec.network;
  plan.cap_add = spec.cap_add;
  plan.pull = spec.pull;
  plan.timeout = spec.timeout;
  plan.stop_grace_seconds = inputs.stop_grace_seconds;
  plan.devices = inputs.devices;

  std::visit(Overloaded{
                 [](std::monostate) {},
                 [&](const jobspec::CommandArgv& command) { plan.cmd = command.argv; },
                 [&](const jobspec::CommandShell& command) {
                   plan.cmd = std::vector<std::string>{"/bin/sh", "-c", command.script};
                 },
             },
             spec.command);

  for (const auto& var : spec.env) {
    if (const auto* literal = std::get_if<jobspec::LiteralValue>(&var.value)) {
      plan.env.push_back({var.name, literal->value});
      continue;
    }
    const auto& from = std::get<jobspec::FromHostEnv>(var.value);
    const auto value = host.lookup_env(from.host_variable);
    if (!value) {
      return fail(ErrorKind::usage,
                  "env." + var.name + " comes from the host variable " + from.host_variable +
                      ", which is not set",
                  "export " + from.host_variable +
                      " before running dlrun (it is passed to the job, never printed)");
    }
    if (auto fits =
            jobspec::check_exec_string("env." + var.name, "variable", var.name + "=" + *value);
        !fits) {
      return std::unexpected(fits.error());
    }
    plan.env.push_back({var.name, *value, from.host_variable});
  }

  // A job that can be retried or resumed learns which attempt it is, and where to resume from.
  if (spec.retry || spec.checkpoint)
    plan.env.push_back({"DLRUN_ATTEMPT", std::to_string(inputs.attempt)});
  if (!inputs.resume_from.empty()) plan.env.push_back({"DLRUN_RESUME_FROM", inputs.resume_from});

  // GPU visibility is dlrun's to decide: with no GPUs requested, "void" also overrides an
  // image's own NVIDIA_VISIBLE_DEVICES=all, which would otherwise expose every GPU.
  if (std::holds_alternative<jobspec::GpuNone>(spec.gpus)) {
    plan.env.push_back({"NVIDIA_VISIBLE_DEVICES", "void"});
  } else if (!env_has(plan.env, "NVIDIA_DRIVER_CAPABILITIES")) {
    plan.env.push_back({"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"});
  }

  const bool rootless = inputs.engine && inputs.engine->rootless;
  const bool podman = inputs.engine && inputs.engine->product == EngineProduct::podman;
  std::visit(Overloaded{
                 [&](jobspec::UserHost) {
                   plan.user = std::to_string(host.uid) + ":" + std::to_string(host.gid);
                   // A rootless engine's uid 0 is the user who runs it; any other uid inside is
                   // one of that user's subordinate ids, which owns nothing of theirs.
                   if (rootless && podman) plan.userns = "keep-id";
                   if (rootless && !podman) {
                     plan.user = "0:0";
                     return;
                   }
                   if (!env_has(plan.env, "HOME")) {
                     plan.env.push_back({"HOME", std::string(kHostUserHome)});
                     plan.mounts.push_back({MountType::tmpfs, "", std::string(kHostUserHome), false,
                                            kHostUserHomeBytes, 01777});
                   }
                   // getpass.getuser() (used by torch.compile's cache, among others) raises when
                   // the uid has no passwd entry and USER is unset.
                   if (!env_has(plan.env, "USER") && !host.user_name.empty()) {
                     plan.env.push_back({"USER", host.user_name});
                   }
                 },
                 [&](jobspec::UserRoot) { plan.user = "0:0"; },
                 [&](const jobspec::UserIds& ids) {
                   plan.user = std::to_string(ids.uid) + ":" + std::to_string(ids.gid);
                 },
             },
             spec.user);

  for (const auto& mount : spec.mounts) {
    plan.mounts.push_back(
        {mount.kind == jobspec::MountKind::bind ? MountType::bind : MountType::volume, mount.source,
         mount.target, mount.read_only, 0, 0});
  }
  if (spec.outputs) {
    plan.mounts.push_back(
        {MountType::bind, spec.outputs->string(), jobspec::kOutputsTarget, false, 0, 0});
  }

  plan.ulimits = default_ulimits();
  if (spec.resources.memlock_bytes) {
    plan.ulimits.front() = {"memlock", *spec.resources.memlock_bytes, ChosenBy::user};
  }
  if (inputs.engine && inputs.engine->drops_requested_limits()) {
    // A limit the spec asks for is a demand: refused rather than silently not had.
    if (spec.resources.memlock_bytes) {
      return std::unexpected(Error{
          ErrorKind::setting_refused,
          inputs.engine->name() +
              " runs rootless, and its Docker API drops the limits a container asks for "
              "(podman#25881, fixed in Podman 5.5): resources.memlock would not reach the job",
          "remove resources.memlock (the job then has your own limit, `ulimit -Hl`, raised in "
          "/etc/security/limits.conf), or upgrade Podman to 5.5 or later",
          "memlock"});
    }
    plan.ulimits.clear();
    plan.limits_dropped = true;
  }
  if (inputs.engine && !inputs.engine->enforces_resource_limits()) {
    std::vector<std::string> asked;
    if (spec.resources.memory_bytes) asked.emplace_back("resources.memory");
    if (spec.resources.cpus) asked.emplace_back("resources.cpus");
    if (spec.resources.pids_limit != jobspec::kDefaultPidsLimit)
      asked.emplace_back("resources.pids");
    if (!asked.empty()) {
      return std::unexpected(
          Error{ErrorKind::setting_refused,
                inputs.engine->name() +
                    " runs rootless on cgroup v1, where a container gets no memory, CPU or process "
                    "limit: " +
                    joined(asked, ", ") + " would not be enforced",
                "run the job on a rootful engine, or boot the host with cgroup v2 "
                "(systemd.unified_cgroup_hierarchy=1) and delegate its controllers to users "
                "(Delegate=memory pids cpu cpuset in user@.service)",
                asked.front().substr(std::string_view("resources.").size())});
    }
    // dlrun's own process limit is not had either: asked for, it would read as enforced.
    plan.resources.pids_limit = 0;
    plan.limits_dropped = true;
  }

  plan.labels = spec.labels;
  plan.labels[std::string(kManagedLabel)] = "true";
  plan.labels[std::string(kJobLabel)] = spec.name;
  plan.labels[std::string(kDigestLabel)] = host.spec_digest;
  plan.labels[std::string(kUserLabel)] = std::to_string(host.uid);
  // A detached job has no dlrun watching it: no owner, or the next train would take it for an
  // orphan of a killed dlrun.
  if (!host.owner.empty() && inputs.attachment == Attachment::follow)
    plan.labels[std::string(kOwnerLabel)] = host.owner;
  if (const std::string gpus = gpus_label(spec.gpus); !gpus.empty())
    plan.labels[std::string(kGpusLabel)] = gpus;
  if (spec.timeout) plan.labels[std::string(kTimeoutLabel)] = std::to_string(spec.timeout->count());
  if (spec.retry) {
    plan.labels[std::string(kAttemptLabel)] =
        std::to_string(inputs.attempt) + "/" + std::to_string(spec.retry->attempts);
  }
  if (!inputs.slurm_job.empty()) plan.labels[std::string(kSlurmJobLabel)] = inputs.slurm_job;
  if (!inputs.slurm_step.empty()) plan.labels[std::string(kSlurmStepLabel)] = inputs.slurm_step;
  if (inputs.supplied && !inputs.supplied->base.empty())
    plan.labels[std::string(kBaseImageLabel)] = inputs.supplied->base;

  // The job's deadline wraps the image's own entrypoint; before the pull only its start is known.
  if (spec.timeout) {
    static const std::vector<std::string> kNotKnownYet;
    const auto& supplied = inputs.supplied;
    plan.entrypoint = deadline_entrypoint(*spec.timeout, plan.stop_grace_seconds,
                                          supplied ? supplied->entrypoint : kNotKnownYet);
    // An entrypoint set in the request drops the image's CMD: carry it over, as docker runs it.
    if (!plan.cmd && supplied) plan.cmd = supplied->cmd;
  }

  for (const auto& setting : inputs.refused) {
    if (leave_to_daemon(plan, setting)) plan.left_to_daemon.push_back(setting);
  }
  return plan;
}

std::string gpus_label(const jobspec::GpuRequest& gpus) {
  return std::visit(Overloaded{
                        [](jobspec::GpuNone) { return std::string(); },
                        [](jobspec::GpuAll) { return std::string("all"); },
                        [](const jobspec::GpuCount& count) { return std::to_string(count.count); },
                        [](const jobspec::GpuList& list) {
                          std::string ids;
                          for (const auto& id : list.ids) ids += (ids.empty() ? "" : ",") + id;
                          return ids;
                        },
                    },
                    gpus);
}

}  // namespace dlrun::run
