#include "dlrun/run/image_choice.hpp"

#include <spdlog/spdlog.h>

#include "dlrun/engine/ssh_tunnel.hpp"
#include "dlrun/resolve/catalog.hpp"

namespace dlrun::run {

resolve::FrameworkRequest framework_request(const jobspec::FrameworkChoice& choice) {
  resolve::FrameworkRequest request{.name = choice.name};
  request.version = choice.version;
  request.cuda = choice.cuda;
  request.python = choice.python;
  if (choice.variant) {
    request.variant = *choice.variant == jobspec::FrameworkVariant::devel
                          ? resolve::Variant::devel
                          : resolve::Variant::runtime;
  }
  if (choice.source) {
    request.source = *choice.source == jobspec::FrameworkSource::ngc
                         ? resolve::ImageSource::ngc
                         : resolve::ImageSource::official;
  }
  return request;
}

namespace {

// A Docker host reached over ssh is asked itself: nvidia-smi there, over the same ssh.
resolve::HostFacts ssh_host_facts(const engine::Endpoint& endpoint,
                                  const resolve::Catalog& catalog) {
  const auto ran = engine::ssh_run(
      endpoint.ssh,
      {"nvidia-smi", std::string(resolve::kNvidiaSmiQuery), "--format=csv,noheader,nounits"});
  if (ran.exit_code == 0) {
    if (auto facts = resolve::parse_nvidia_smi_csv(ran.out)) {
      facts->cuda_driver = catalog.cuda_for_driver(*facts->driver);
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
  return resolve::HostFacts{};
}

}  // namespace

Result<resolve::HostFacts> docker_host_facts(const engine::Endpoint& endpoint,
                                             const resolve::HostFactsOverrides& flags,
                                             const resolve::Catalog& catalog) {
  const auto overrides = resolve::overrides_from_environment(flags);
  const bool local = endpoint.kind == engine::EndpointKind::unix_socket;
  if (endpoint.kind == engine::EndpointKind::ssh && !overrides.driver_version &&
      overrides.gpu_archs.empty()) {
    return ssh_host_facts(endpoint, catalog);
  }
  if (!local && !overrides.driver_version && overrides.gpu_archs.empty()) {
    spdlog::debug(
        "the Docker host is remote and no --driver-version/--gpu-arch was given: its GPUs are "
        "unknown");
    return resolve::HostFacts{};
  }
  return resolve::read_host_facts(overrides, catalog);
}

engine::RegistryMirrors registry_mirrors(const jobspec::UserConfig& user,
                                         const jobspec::JobSpec& job) {
  engine::RegistryMirrors mirrors = user.registry_mirror;
  for (const auto& [registry, mirror] : job.registry_mirror) mirrors[registry] = mirror;
  return mirrors;
}

Result<resolve::Resolution> choose_image(const jobspec::FrameworkChoice& choice,
                                         const resolve::HostFacts& host,
                                         const resolve::Catalog& catalog,
                                         const engine::RegistryMirrors& mirrors,
                                         engine::EngineClient* client) {
  std::set<std::string> local;
  if (client != nullptr) {
    auto tags = client->local_image_tags();
    if (!tags) return std::unexpected(tags.error());
    local = std::move(*tags);
  }
  const auto on_engine = [&](const resolve::ImageEntry& image) {
    if (local.contains(image.reference)) return true;
    auto ref = engine::parse_image_ref(image.reference);
    return ref && (local.contains(ref->familiar()) ||
                   local.contains(engine::apply_mirror(*ref, mirrors).familiar()));
  };
  return resolve::resolve_image(framework_request(choice), host, catalog, on_engine);
}

}  // namespace dlrun::run
