#include "dlrun/run/host/docker_host.hpp"

#include <spdlog/spdlog.h>

#include "dlrun/engine/ssh_tunnel.hpp"

namespace dlrun::run {

namespace {

// A Docker host reached over ssh is asked itself: nvidia-smi there, over the same ssh.
resolve::HostFacts ssh_host_facts(const engine::Endpoint& endpoint,
                                  const resolve::Catalog& catalog) {
  const auto ran = engine::ssh_run(
      endpoint.ssh,
      {"nvidia-smi", std::string(resolve::kNvidiaSmiQuery), "--format=csv,noheader,nounits"});
  if (ran.exit_code == 0) {
    if (auto facts = resolve::parse_nvidia_smi_csv(ran.out)) {
      if (facts->driver) facts->cuda_driver = catalog.cuda_for_driver(*facts->driver);
      return *facts;
    }
  }
  // 127: no nvidia-smi there, i.e. no NVIDIA driver; anything else is worth a word.
  if (ran.exit_code != 127) {
    spdlog::warn(
        "could not read the GPUs of {} with nvidia-smi over ssh ({}); give "
        "--driver-version and --gpu-arch",
        endpoint.display, ran.err.empty() ? "no answer" : ran.err);
  }
  return resolve::HostFacts{.unknown_because = "nvidia-smi on the Docker host at " +
                                               endpoint.display + " gave nothing"};
}

}  // namespace

Result<resolve::HostFacts> docker_host_facts(const engine::Endpoint& endpoint,
                                             const resolve::HostFactsOverrides& flags,
                                             const resolve::Catalog& catalog,
                                             const EnvLookup& env) {
  const auto overrides = resolve::overrides_from_environment(flags, env);
  const bool local = endpoint.kind == engine::EndpointKind::unix_socket;
  if (endpoint.kind == engine::EndpointKind::ssh && !overrides.driver_version &&
      overrides.gpu_archs.empty()) {
    return ssh_host_facts(endpoint, catalog);
  }
  if (!local && !overrides.driver_version && overrides.gpu_archs.empty()) {
    spdlog::debug(
        "the Docker host is remote and no --driver-version/--gpu-arch was given: its GPUs are "
        "unknown");
    return resolve::HostFacts{.unknown_because =
                                  "the Docker host at " + endpoint.display +
                                  " is remote; give --driver-version and --gpu-arch"};
  }
  return resolve::read_host_facts(overrides, catalog, "/proc", resolve::nvml_library(env));
}

}  // namespace dlrun::run
