#pragma once

#include "dlrun/engine/endpoint.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/user_files.hpp"

// The Docker host's driver and GPUs, gathered at one edge for every command (train, resolve,
// doctor), with the reason when they cannot be known.
namespace dlrun::run {

// Told by the overrides (flags, else $DLRUN_DRIVER_VERSION / $DLRUN_GPU_ARCH); else read here
// when the daemon is local (NVML, /proc), or by nvidia-smi over ssh for an ssh:// daemon; a
// tcp:// daemon without overrides yields no facts, and says so in `unknown_because`.
Result<resolve::HostFacts> docker_host_facts(const engine::Endpoint& endpoint,
                                             const resolve::HostFactsOverrides& overrides,
                                             const resolve::Catalog& catalog, const EnvLookup& env);

}  // namespace dlrun::run
