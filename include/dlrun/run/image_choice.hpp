#pragma once

#include "dlrun/engine/client.hpp"
#include "dlrun/engine/endpoint.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/spec/job_spec.hpp"

namespace dlrun::run {

// The spec's framework choice as a resolver request (the spec has checked the constraints).
resolve::FrameworkRequest framework_request(const spec::FrameworkChoice& choice);

// What dlrun can know about the Docker host's driver and GPUs: told by the overrides, else read
// here when the daemon is local; a remote daemon without overrides yields no facts.
Result<resolve::HostFacts> docker_host_facts(const engine::Endpoint& endpoint,
                                             const resolve::HostFactsOverrides& overrides,
                                             const resolve::Catalog& catalog);

// Resolves the spec's framework on this host; with a client, images already on the engine rank
// first (no pull of many gigabytes).
Result<resolve::Resolution> choose_image(const spec::FrameworkChoice& choice,
                                         const resolve::HostFacts& host,
                                         const resolve::Catalog& catalog,
                                         engine::EngineClient* client);

}  // namespace dlrun::run
