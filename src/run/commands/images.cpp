#include "dlrun/run/commands/images.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/run/host/docker_host.hpp"
#include "dlrun/run/image/image_choice.hpp"

namespace dlrun::run {

ImageList tabulate_images(const resolve::Catalog& catalog, const resolve::HostFacts& host,
                          const ImageFilter& filter,
                          const std::function<bool(const resolve::ImageEntry&)>& on_engine) {
  ImageList list{.host = host, .engine_asked = static_cast<bool>(on_engine), .rows = {}};
  std::map<std::string, std::size_t> framework_rank;  // frameworks in the catalog's order
  for (const auto& image : catalog.images) {
    framework_rank.try_emplace(image.framework, framework_rank.size());
    if (filter.framework && image.framework != *filter.framework) continue;
    if (filter.request && (image.framework != filter.request->name ||
                           !resolve::request_mismatches(*filter.request, image).empty()))
      continue;
    auto verdict = resolve::judge_on_host(image, host, catalog);
    list.rows.push_back(
        {.image = image,
         .rejections = std::move(verdict.rejections),
         .notes = std::move(verdict.notes),
         .on_engine = on_engine ? std::optional<bool>(on_engine(image)) : std::nullopt});
  }
  std::stable_sort(list.rows.begin(), list.rows.end(), [&](const ImageRow& a, const ImageRow& b) {
    const auto& x = a.image;
    const auto& y = b.image;
    if (x.framework != y.framework)
      return framework_rank.at(x.framework) < framework_rank.at(y.framework);
    if (x.source_kind != y.source_kind) return x.source_kind == resolve::ImageSource::official;
    if (x.version != y.version) return x.version > y.version;
    if (x.cuda != y.cuda) return x.cuda > y.cuda;
    if (x.variant != y.variant) return x.variant == resolve::Variant::runtime;
    // The newer NGC month first, as the resolver prefers it.
    return resolve::ngc_release(x) > resolve::ngc_release(y);
  });
  return list;
}

Result<ImageList> list_images(const ImagesRequest& request, const Surroundings& surroundings) {
  ImageFilter filter{.framework = request.framework, .request = std::nullopt};
  auto user_config = jobspec::load_user_config(surroundings.env);
  if (!user_config) return std::unexpected(user_config.error());
  engine::RegistryMirrors mirrors = user_config->registry_mirror;
  if (request.spec_file) {
    auto loaded = jobspec::load_job_spec(*request.spec_file, surroundings.env);
    if (!loaded) return std::unexpected(loaded.error());
    const jobspec::JobSpec& job = loaded->spec;
    if (!job.image.empty() || !job.framework) {
      return fail(ErrorKind::usage,
                  request.spec_file->string() + " gives its \"image\" (" + job.image +
                      "): it uses no image of the catalog",
                  "`dlrun images` without a spec lists the whole catalog; a spec with "
                  "\"framework\" and no \"image\" lists the images it could use");
    }
    filter.request = framework_request(*job.framework);
    mirrors = registry_mirrors(*user_config, job);
  }
  auto catalog = resolve::load_catalog(request.catalog, surroundings.env);
  if (!catalog) return std::unexpected(catalog.error());
  auto facts = docker_host_facts(surroundings.endpoint, request.host, *catalog, surroundings.env);
  if (!facts) return std::unexpected(facts.error());

  // The engine only says which images are already there: without it, the list still stands.
  std::optional<std::set<std::string>> local;
  auto client = connect(surroundings);
  if (client) {
    auto tags = client->local_image_tags();
    if (tags) {
      local = std::move(*tags);
    } else {
      spdlog::warn("{} (whether an image is on the engine is not shown)", tags.error().message);
    }
  } else {
    spdlog::warn("{} (whether an image is on the engine is not shown)", client.error().message);
  }
  std::function<bool(const resolve::ImageEntry&)> on_engine;
  if (local) {
    on_engine = [&](const resolve::ImageEntry& image) {
      return held_by_engine(image, *local, mirrors);
    };
  }
  return tabulate_images(*catalog, *facts, filter, on_engine);
}

}  // namespace dlrun::run
