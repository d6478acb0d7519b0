#include "dlrun/run/plan/defaults.hpp"

#include <algorithm>
#include <vector>

#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

struct Consequence {
  std::string_view setting;
  std::string_view asked;       // what dlrun asks for
  std::string_view instead;     // what the job gets from a daemon that refuses it
  std::string_view matters;     // what the daemon's own value means for training
  std::string_view docker_fix;  // how to give dockerd what dlrun asks for
  std::string_view podman_fix;  // and Podman
};

constexpr Consequence kConsequences[] = {
    {"memlock", "unlimited locked memory", "the daemon's own limit",
     "NCCL over InfiniBand/RDMA and pinned-memory data loading may fail or slow down",
     "LimitMEMLOCK=infinity in its systemd unit, or dockerd --default-ulimit memlock=-1:-1",
     "LimitMEMLOCK=infinity in podman.service, or default_ulimits = [\"memlock=-1:-1\"] in "
     "containers.conf (rootless: the user's hard limit in /etc/security/limits.conf)"},
    {"stack", "a 64 MB stack", "the daemon's own limit",
     "deeply recursive code (some compilers and graph tracers) may overflow the stack",
     "LimitSTACK=infinity in its systemd unit, or dockerd --default-ulimit "
     "stack=67108864:67108864",
     "LimitSTACK=infinity in podman.service (rootless: the user's hard limit in "
     "/etc/security/limits.conf)"},
    // Podman adds open-file and process limits of its own to a container that asks for any.
    {"ulimits", "unlimited locked memory and a 64 MB stack", "the engine's own limits",
     "it adds open-file and process limits of its own (1048576) to any container that asks for "
     "a limit, and may not raise those; NCCL over InfiniBand/RDMA, pinned-memory data loading "
     "and deeply recursive code may fail or slow down",
     "LimitNOFILE=1048576 and LimitNPROC=1048576 in its systemd unit",
     "LimitNOFILE=1048576 and LimitNPROC=1048576 in podman.service (rootless: the user's hard "
     "limits in /etc/security/limits.conf)"},
    {"init", "an init process", "no init process",
     "SIGTERM reaches only your program as PID 1, and exited worker processes are not reaped",
     "its docker-init (tini) installed, or \"init-path\" in its daemon.json",
     "catatonit installed, or init_path in containers.conf"},
};

}  // namespace

std::string gave_way_warning(std::string_view setting, const engine::EngineIdentity& engine,
                             std::string_view address, std::string_view learned) {
  const auto* known = std::find_if(std::begin(kConsequences), std::end(kConsequences),
                                   [&](const Consequence& c) { return c.setting == setting; });
  const std::string when = learned.empty() ? "" : "; found out " + std::string(learned);
  const std::string who = engine.words() + " at " + std::string(address);
  if (known == std::end(kConsequences)) {
    return who + " refuses dlrun's default for " + std::string(setting) + " (" +
           when.substr(when.empty() ? 0 : 2) + "), so the job gets the daemon's own";
  }
  return who + " may not grant " + std::string(known->asked) + " (" + std::string(setting) + when +
         ")" + ", so the job runs with " + std::string(known->instead) + ": " +
         std::string(known->matters) + "; to fix the " + (engine.podman() ? "engine" : "daemon") +
         ", set " + std::string(engine.podman() ? known->podman_fix : known->docker_fix);
}

std::string unenforced_limits_warning(const EngineProfile& engine, std::string_view address) {
  std::vector<std::string> without;
  std::vector<std::string> why;
  std::vector<std::string> fixes;
  if (engine.drops_requested_limits()) {
    without.emplace_back("unlimited locked memory and a 64 MB stack");
    why.emplace_back(
        "its Docker API drops the limits a container asks for (podman#25881, fixed "
        "in Podman 5.5)");
    fixes.emplace_back(
        "raise your own hard limits in /etc/security/limits.conf, or upgrade "
        "Podman to 5.5 or later");
  }
  if (!engine.enforces_resource_limits()) {
    without.emplace_back("a process limit");
    why.emplace_back(
        "on cgroup v1 a rootless engine sets no container's memory, CPU or process "
        "limit");
    fixes.emplace_back("boot with cgroup v2 and delegate its controllers to users");
  }
  return engine.name() + " at " + std::string(address) + " runs rootless: the job runs without " +
         joined(without, " or ") + ", with your own limits instead, because " +
         joined(why, ", and ") +
         (engine.drops_requested_limits() ? "; NCCL over InfiniBand/RDMA and pinned-memory data "
                                            "loading may fail or slow down"
                                          : "") +
         "; to fix it, " + joined(fixes, "; ");
}

}  // namespace dlrun::run
