#include "dlrun/run/commands/resolution.hpp"

#include <spdlog/spdlog.h>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/run/host/docker_host.hpp"
#include "dlrun/run/image/image_choice.hpp"

namespace dlrun::run {

Result<ResolvedImage> resolve_spec_image(const ResolveRequest& request,
                                         const Surroundings& surroundings) {
  auto loaded = jobspec::load_job_spec(request.spec_file, surroundings.env);
  if (!loaded) return std::unexpected(loaded.error());
  const jobspec::JobSpec& job = loaded->spec;
  if (!job.image.empty() || !job.framework) {
    return ResolvedImage{.image = job.image,
                         .explicit_image = true,
                         .reason = "given explicitly",
                         .built_on = job.build.has_value()};
  }
  auto user_config = jobspec::load_user_config(surroundings.env);
  if (!user_config) return std::unexpected(user_config.error());
  const engine::RegistryMirrors mirrors = registry_mirrors(*user_config, job);
  auto catalog = resolve::load_catalog(request.catalog, surroundings.env);
  if (!catalog) return std::unexpected(catalog.error());
  auto facts = docker_host_facts(surroundings.endpoint, request.host, *catalog, surroundings.env);
  if (!facts) return std::unexpected(facts.error());

  // The engine only ranks: without it, resolution still works, just without local images.
  auto client = connect(surroundings);
  if (!client)
    spdlog::warn("{} (images already on the engine are not ranked first)", client.error().message);
  auto resolved =
      choose_image(*job.framework, *facts, *catalog, mirrors, client ? &*client : nullptr);
  if (!resolved) return std::unexpected(resolved.error());

  ResolvedImage result{.image = resolved->chosen->reference,
                       .reason = resolved->reason,
                       .built_on = job.build.has_value()};
  // Where it comes from, when a mirror stands in for its registry (air-gapped sites).
  if (auto ref = engine::parse_image_ref(resolved->chosen->reference)) {
    const auto mirrored = engine::apply_mirror(*ref, mirrors);
    if (mirrored != *ref) result.pull_from = mirrored.full();
  }
  for (const auto& verdict : resolved->considered) {
    result.candidates.push_back({.image = verdict.image->reference,
                                 .fits = verdict.rejections.empty(),
                                 .on_engine = verdict.present_locally,
                                 .rejections = verdict.rejections,
                                 .notes = verdict.notes});
  }
  return result;
}

}  // namespace dlrun::run
