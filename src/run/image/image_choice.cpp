#include "dlrun/run/image/image_choice.hpp"

#include <spdlog/spdlog.h>

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

engine::RegistryMirrors registry_mirrors(const jobspec::UserConfig& user,
                                         const jobspec::JobSpec& job) {
  engine::RegistryMirrors mirrors = user.registry_mirror;
  for (const auto& [registry, mirror] : job.registry_mirror) mirrors[registry] = mirror;
  return mirrors;
}

bool held_by_engine(const resolve::ImageEntry& image, const std::set<std::string>& local,
                    const engine::RegistryMirrors& mirrors) {
  if (local.contains(image.reference)) return true;
  auto ref = engine::parse_image_ref(image.reference);
  return ref && (local.contains(ref->familiar()) ||
                 local.contains(engine::apply_mirror(*ref, mirrors).familiar()));
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
    return held_by_engine(image, local, mirrors);
  };
  return resolve::resolve_image(framework_request(choice), host, catalog, on_engine);
}

}  // namespace dlrun::run
