#include "dlrun/run/plan/create_request.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "dlrun/run/plan/labels.hpp"
#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

using nlohmann::ordered_json;

// NVIDIA's hook: the request its `nvidia` device driver takes (the gpu capability); CDI: the
// named devices for the engine's `cdi` driver, as `docker run --device nvidia.com/gpu=0` sends.
ordered_json device_requests(const jobspec::GpuRequest& gpus, const PlannedGpus& path) {
  if (path.delivery == GpuDelivery::cdi) {
    return ordered_json::array({{{"Driver", "cdi"}, {"DeviceIDs", path.cdi_devices}}});
  }
  ordered_json request = {{"Driver", ""}};
  const bool any = std::visit(Overloaded{
                                  [](jobspec::GpuNone) { return false; },
                                  [&](jobspec::GpuAll) {
                                    request["Count"] = -1;
                                    return true;
                                  },
                                  [&](const jobspec::GpuCount& count) {
                                    request["Count"] = count.count;
                                    return true;
                                  },
                                  [&](const jobspec::GpuList& list) {
                                    request["Count"] = 0;
                                    request["DeviceIDs"] = list.ids;
                                    return true;
                                  },
                              },
                              gpus);
  if (!any) return ordered_json::array();
  request["Capabilities"] = ordered_json::array({ordered_json::array({"gpu"})});
  request["Options"] = ordered_json::object();
  return ordered_json::array({request});
}

std::string_view network_name(jobspec::NetworkMode mode) {
  switch (mode) {
    case jobspec::NetworkMode::bridge:
      return "bridge";
    case jobspec::NetworkMode::none:
      return "none";
    case jobspec::NetworkMode::host:
      return "host";
  }
  return "bridge";
}

ordered_json mount_json(const PlannedMount& mount) {
  switch (mount.type) {
    case MountType::bind:
      return {{"Type", "bind"},
              {"Source", mount.source},
              {"Target", mount.target},
              {"ReadOnly", mount.read_only},
              {"BindOptions", {{"Propagation", "rprivate"}}}};
    case MountType::volume:
      return {{"Type", "volume"},
              {"Source", mount.source},
              {"Target", mount.target},
              {"ReadOnly", mount.read_only}};
    case MountType::tmpfs:
      return {{"Type", "tmpfs"},
              {"Target", mount.target},
              {"TmpfsOptions", {{"SizeBytes", mount.tmpfs_bytes}, {"Mode", mount.tmpfs_mode}}}};
  }
  return {};
}

ordered_json ulimits_json(const std::vector<PlannedUlimit>& ulimits) {
  ordered_json out = ordered_json::array();
  for (const auto& limit : ulimits) {
    out.push_back({{"Name", limit.name}, {"Soft", limit.value}, {"Hard", limit.value}});
  }
  return out;
}

}  // namespace

std::string create_request_body(const ContainerPlan& plan, Secrets secrets, int indent) {
  ordered_json env = ordered_json::array();
  for (const auto& var : plan.env) {
    const bool mask = var.secret() && secrets == Secrets::masked;
    env.push_back(var.name + "=" + (mask ? std::string(kMaskedSecret) : var.value));
  }
  ordered_json mounts = ordered_json::array();
  for (const auto& mount : plan.mounts) mounts.push_back(mount_json(mount));

  ordered_json host_config = {
      {"DeviceRequests", device_requests(plan.gpus, plan.gpu_path)},
      {"Init", plan.init},
      {"IpcMode", "private"},
      {"ShmSize", plan.resources.shm_bytes},
      {"Ulimits", ulimits_json(plan.ulimits)},
      {"PidsLimit", plan.resources.pids_limit},
      {"Privileged", false},
      {"CapDrop", {"ALL"}},
      {"CapAdd", plan.cap_add},
      {"SecurityOpt", {"no-new-privileges"}},
      {"NetworkMode", network_name(plan.network)},
      {"Mounts", mounts},
      {"LogConfig", {{"Type", plan.log.driver}, {"Config", plan.log.options}}},
      {"AutoRemove", false},  // dlrun removes it after reading the exit status
  };
  if (!plan.userns.empty()) host_config["UsernsMode"] = plan.userns;
  if (!plan.devices.empty()) {
    ordered_json devices = ordered_json::array();
    for (const auto& device : plan.devices) {
      devices.push_back(
          {{"PathOnHost", device}, {"PathInContainer", device}, {"CgroupPermissions", "rwm"}});
    }
    host_config["Devices"] = devices;
  }
  if (plan.resources.memory_bytes) {
    host_config["Memory"] = *plan.resources.memory_bytes;
    host_config["MemorySwap"] = *plan.resources.memory_bytes;  // no swap: an OOM is an OOM
  }
  if (plan.resources.cpus) {
    host_config["NanoCpus"] = static_cast<std::int64_t>(std::llround(*plan.resources.cpus * 1e9));
  }

  ordered_json body = {{"Image", plan.image}};
  if (plan.entrypoint) body["Entrypoint"] = *plan.entrypoint;
  if (plan.cmd) body["Cmd"] = *plan.cmd;
  if (plan.workdir) body["WorkingDir"] = *plan.workdir;
  body["Env"] = env;
  if (!plan.user.empty()) body["User"] = plan.user;
  body["Labels"] = plan.labels;
  body["Tty"] = false;
  body["OpenStdin"] = false;
  body["AttachStdin"] = false;
  body["AttachStdout"] = true;
  body["AttachStderr"] = true;
  body["StopSignal"] = "SIGTERM";
  body["StopTimeout"] = plan.stop_grace_seconds;
  body["HostConfig"] = host_config;
  return body.dump(indent);
}

namespace {

// A doctor probe: `host_config` asked for, a program that does not exist, no network.
std::string probe_request_body(std::string_view image, ordered_json host_config) {
  host_config["NetworkMode"] = "none";
  const ordered_json body = {{"Image", image},
                             {"Entrypoint", {"/dlrun-doctor-probe-does-not-exist"}},
                             {"Labels", {{kManagedLabel, "true"}, {kJobLabel, kProbeJobName}}},
                             {"HostConfig", host_config}};
  return body.dump();
}

}  // namespace

std::string limits_probe_request_body(std::string_view image,
                                      const std::vector<PlannedUlimit>& ulimits, bool init) {
  return probe_request_body(image, {{"Init", init}, {"Ulimits", ulimits_json(ulimits)}});
}

std::string gpu_probe_request_body(std::string_view image, const PlannedGpus& path) {
  return probe_request_body(
      image, {{"DeviceRequests", device_requests(jobspec::GpuRequest{jobspec::GpuAll{}}, path)}});
}

}  // namespace dlrun::run
