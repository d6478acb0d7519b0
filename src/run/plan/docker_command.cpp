#include "dlrun/run/plan/docker_command.hpp"

#include <cmath>
#include <sstream>

#include "dlrun/jobspec/units.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/shell_quote.hpp"

namespace dlrun::run {
namespace {

// docker run --gpus: the dlrun.gpus label's words, a list of ids written as device=….
std::string gpus_flag(const jobspec::GpuRequest& gpus) {
  const std::string label = gpus_label(gpus);
  return std::holds_alternative<jobspec::GpuList>(gpus) ? "\"device=" + label + "\"" : label;
}

std::string format_cpus(double cpus) {
  std::ostringstream out;
  out << cpus;
  return out.str();
}

}  // namespace

std::string docker_run_command(const ContainerPlan& plan) {
  std::vector<std::string> args{"docker", "run", "--rm", "--name", plan.container_name};
  if (plan.pull == jobspec::PullPolicy::always) args.insert(args.end(), {"--pull", "always"});
  if (plan.pull == jobspec::PullPolicy::never) args.insert(args.end(), {"--pull", "never"});
  const auto flag = [&](std::string name, std::string value) {
    args.push_back(std::move(name));
    args.push_back(std::move(value));
  };
  for (const auto& [key, value] : plan.labels) flag("--label", key + "=" + value);
  if (plan.gpu_path.delivery == GpuDelivery::cdi) {
    for (const auto& device : plan.gpu_path.cdi_devices) flag("--device", device);
  } else if (const auto gpus = gpus_flag(plan.gpus); !gpus.empty()) {
    flag("--gpus", gpus);
  }
  if (plan.init) args.push_back("--init");
  flag("--ipc", "private");
  flag("--shm-size", jobspec::format_size(plan.resources.shm_bytes));
  for (const auto& limit : plan.ulimits) {
    flag("--ulimit", limit.name + "=" + std::to_string(limit.value));
  }
  flag("--pids-limit", std::to_string(plan.resources.pids_limit));
  flag("--cap-drop", "ALL");
  for (const auto& cap : plan.cap_add) flag("--cap-add", cap);
  flag("--security-opt", "no-new-privileges");
  flag("--network", plan.network == jobspec::NetworkMode::bridge ? "bridge"
                    : plan.network == jobspec::NetworkMode::none ? "none"
                                                                 : "host");
  for (const auto& device : plan.devices) flag("--device", device);
  flag("--log-driver", plan.log.driver);
  for (const auto& [option, value] : plan.log.options) flag("--log-opt", option + "=" + value);
  flag("--stop-timeout", std::to_string(plan.stop_grace_seconds));
  if (plan.resources.memory_bytes) {
    flag("--memory", jobspec::format_size(*plan.resources.memory_bytes));
    flag("--memory-swap", jobspec::format_size(*plan.resources.memory_bytes));
  }
  if (plan.resources.cpus) flag("--cpus", format_cpus(*plan.resources.cpus));
  if (!plan.user.empty()) flag("--user", plan.user);
  // Podman's flag (podman run, or docker where podman-docker provides it).
  if (!plan.userns.empty()) flag("--userns", plan.userns);
  for (const auto& mount : plan.mounts) {
    switch (mount.type) {
      case MountType::bind:
      case MountType::volume:
        flag("--mount", std::string("type=") + (mount.type == MountType::bind ? "bind" : "volume") +
                            ",source=" + mount.source + ",target=" + mount.target +
                            (mount.read_only ? ",readonly" : ""));
        break;
      case MountType::tmpfs: {
        std::ostringstream mode;
        mode << std::oct << mount.tmpfs_mode;
        flag("--tmpfs", mount.target + ":size=" + jobspec::format_size(mount.tmpfs_bytes) +
                            ",mode=" + mode.str());
        break;
      }
    }
  }
  std::vector<std::size_t> unquoted;  // indexes of "$VAR" words that must stay expandable
  for (const auto& var : plan.env) {
    if (!var.host_variable) {
      flag("-e", var.name + "=" + var.value);
    } else if (*var.host_variable == var.name) {
      flag("-e", var.name);  // a secret: docker copies it from the environment
    } else {
      args.push_back("-e");
      unquoted.push_back(args.size());
      args.push_back(var.name + "=\"$" + *var.host_variable + "\"");
    }
  }
  if (plan.workdir) flag("--workdir", *plan.workdir);
  // docker run takes one word of entrypoint; the rest of it goes before the command.
  if (plan.entrypoint && !plan.entrypoint->empty()) flag("--entrypoint", plan.entrypoint->front());
  args.push_back(plan.image);
  if (plan.entrypoint && !plan.entrypoint->empty())
    args.insert(args.end(), plan.entrypoint->begin() + 1, plan.entrypoint->end());
  if (plan.cmd) args.insert(args.end(), plan.cmd->begin(), plan.cmd->end());

  std::string line;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!line.empty()) line += ' ';
    const bool keep = std::find(unquoted.begin(), unquoted.end(), i) != unquoted.end();
    line += keep ? args[i] : shell_quote(args[i]);
  }
  return line;
}

}  // namespace dlrun::run
