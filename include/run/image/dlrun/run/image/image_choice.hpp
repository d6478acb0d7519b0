#pragma once

#include <set>
#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/resolve/resolver.hpp"

namespace dlrun::run {

// The spec's framework choice as a resolver request (the spec has checked the constraints).
resolve::FrameworkRequest framework_request(const jobspec::FrameworkChoice& choice);

// The registry mirrors a job pulls through: the user's config, overridden by the spec's.
engine::RegistryMirrors registry_mirrors(const jobspec::UserConfig& user,
                                         const jobspec::JobSpec& job);

// Whether the engine holds `image`, under its own name or its registry mirror's; `local` as
// EngineClient::local_image_tags lists the engine's images.
bool held_by_engine(const resolve::ImageEntry& image, const std::set<std::string>& local,
                    const engine::RegistryMirrors& mirrors);

// Resolves the spec's framework on this host; with a client, images already on the engine rank
// first (no pull of many gigabytes), whether under their own name or a mirror's.
Result<resolve::Resolution> choose_image(const jobspec::FrameworkChoice& choice,
                                         const resolve::HostFacts& host,
                                         const resolve::Catalog& catalog,
                                         const engine::RegistryMirrors& mirrors,
                                         engine::EngineClient* client);

}  // namespace dlrun::run
