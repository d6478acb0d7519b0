#include "dlrun/run/plan/defaults.hpp"

#include <algorithm>

namespace dlrun::run {
namespace {

struct Consequence {
  std::string_view setting;
  std::string_view asked;    // what dlrun asks for
  std::string_view instead;  // what the job gets from a daemon that refuses it
  std::string_view matters;  // what the daemon's own value means for training
  std::string_view fix;      // how to give the daemon what dlrun asks for
};

constexpr Consequence kConsequences[] = {
    {"memlock", "unlimited locked memory", "the daemon's own limit",
     "NCCL over InfiniBand/RDMA and pinned-memory data loading may fail or slow down",
     "LimitMEMLOCK=infinity in its systemd unit, or dockerd --default-ulimit memlock=-1:-1"},
    {"stack", "a 64 MB stack", "the daemon's own limit",
     "deeply recursive code (some compilers and graph tracers) may overflow the stack",
     "LimitSTACK=infinity in its systemd unit, or dockerd --default-ulimit "
     "stack=67108864:67108864"},
    {"init", "an init process", "no init process",
     "SIGTERM reaches only your program as PID 1, and exited worker processes are not reaped",
     "its docker-init (tini) installed, or \"init-path\" in its daemon.json"},
};

}  // namespace

std::string gave_way_warning(std::string_view setting, std::string_view daemon,
                             std::string_view learned) {
  const auto* known = std::find_if(std::begin(kConsequences), std::end(kConsequences),
                                   [&](const Consequence& c) { return c.setting == setting; });
  const std::string when = learned.empty() ? "" : "; found out " + std::string(learned);
  if (known == std::end(kConsequences)) {
    return "the Docker daemon at " + std::string(daemon) + " refuses dlrun's default for " +
           std::string(setting) + " (" + when.substr(when.empty() ? 0 : 2) +
           "), so the job gets the daemon's own";
  }
  return "the Docker daemon at " + std::string(daemon) + " may not grant " +
         std::string(known->asked) + " (" + std::string(setting) + when + ")" +
         ", so the job runs with " + std::string(known->instead) + ": " +
         std::string(known->matters) + "; to fix the daemon, set " + std::string(known->fix);
}

}  // namespace dlrun::run
