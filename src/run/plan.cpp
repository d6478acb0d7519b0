#include "dlrun/run/plan.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "dlrun/run/create_request.hpp"
#include "dlrun/run/labels.hpp"
#include "dlrun/run/orphans.hpp"
#include "dlrun/run/timeout_program.hpp"

namespace dlrun::run {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

bool env_has(const std::vector<PlannedEnv>& env, std::string_view name) {
  return std::any_of(env.begin(), env.end(),
                     [&](const PlannedEnv& var) { return var.name == name; });
}

}  // namespace

std::string random_suffix() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string suffix;
  for (int i = 0; i < 6; ++i) suffix += "0123456789abcdef"[digit(device)];
  return suffix;
}

std::vector<PlannedUlimit> default_ulimits() {
  return {{"memlock", jobspec::kUnlimited, ChosenBy::dlrun},  // first: the spec may set it
          {"stack", kStackBytes, ChosenBy::dlrun}};
}

HostContext current_host(std::string spec_digest, EnvLookup env) {
  HostContext host;
  host.uid = getuid();
  host.gid = getgid();
  if (const passwd* entry = getpwuid(host.uid); entry != nullptr && entry->pw_name != nullptr) {
    host.user_name = entry->pw_name;
  } else if (auto user = env("USER")) {
    host.user_name = *user;
  }
  host.lookup_env = std::move(env);
  host.spec_digest = std::move(spec_digest);
  host.run_suffix = random_suffix();
  host.owner = owner_of_this_process();
  return host;
}

Result<ContainerPlan> make_plan(const jobspec::JobSpec& spec, const HostContext& host,
                                const PlanInputs& inputs) {
  ContainerPlan plan;
  plan.container_name = "dlrun-" + spec.name + "-" + host.run_suffix;
  plan.image = inputs.image.empty() ? spec.image : inputs.image;
  plan.workdir = spec.workdir;
  plan.resources = spec.resources;
  plan.gpus = spec.gpus;
  plan.network = spec.network;
  plan.cap_add = spec.cap_add;
  plan.pull = spec.pull;
  plan.timeout = spec.timeout;

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
    plan.env.push_back({var.name, *value, from.host_variable});
  }

  // GPU visibility is dlrun's to decide: with no GPUs requested, "void" also overrides an
  // image's own NVIDIA_VISIBLE_DEVICES=all, which would otherwise expose every GPU.
  if (std::holds_alternative<jobspec::GpuNone>(spec.gpus)) {
    plan.env.push_back({"NVIDIA_VISIBLE_DEVICES", "void"});
  } else if (!env_has(plan.env, "NVIDIA_DRIVER_CAPABILITIES")) {
    plan.env.push_back({"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"});
  }

  std::visit(Overloaded{
                 [&](jobspec::UserHost) {
                   plan.user = std::to_string(host.uid) + ":" + std::to_string(host.gid);
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

  plan.labels = spec.labels;
  plan.labels[std::string(kManagedLabel)] = "true";
  plan.labels[std::string(kJobLabel)] = spec.name;
  plan.labels[std::string(kDigestLabel)] = host.spec_digest;
  plan.labels[std::string(kUserLabel)] = std::to_string(host.uid);
  if (!host.owner.empty()) plan.labels[std::string(kOwnerLabel)] = host.owner;
  if (const std::string gpus = gpus_label(spec.gpus); !gpus.empty())
    plan.labels[std::string(kGpusLabel)] = gpus;
  if (spec.timeout) plan.labels[std::string(kTimeoutLabel)] = std::to_string(spec.timeout->count());
  return plan;
}

ContainerPlan with_deadline(ContainerPlan plan, const std::vector<std::string>& image_entrypoint,
                            const std::vector<std::string>& image_cmd) {
  if (!plan.timeout) return plan;
  plan.entrypoint = deadline_entrypoint(*plan.timeout, kStopGraceSeconds, image_entrypoint);
  // An entrypoint set in the request drops the image's CMD: carry it over, as docker would run it.
  if (!plan.cmd) plan.cmd = image_cmd;
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
