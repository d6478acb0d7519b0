#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/run/commands/train.hpp"

// `dlrun images`: the catalog judged for one Docker host, to see what a spec could ask for.
namespace dlrun::run {

struct ImagesRequest {
  std::optional<std::filesystem::path> spec_file;  // only what its framework request could use
  std::optional<std::string> framework;            // --framework
  resolve::HostFactsOverrides host;                // --driver-version, --gpu-arch
  std::optional<std::string> catalog;              // --catalog
};

struct ImageRow {
  resolve::ImageEntry image;
  std::vector<resolve::Rejection> rejections;  // empty: it fits this host
  std::vector<std::string> notes;              // how it fits, and which of its facts are inferred
  std::optional<bool> on_engine;               // unknown where the engine could not be asked
};

struct ImageList {
  resolve::HostFacts host;
  bool engine_asked = false;  // whether `on_engine` is known
  std::vector<ImageRow> rows;
};

// Which images to list: all, one framework's, or those a spec's framework request could use.
struct ImageFilter {
  std::optional<std::string> framework;
  std::optional<resolve::FrameworkRequest> request;
};

// The catalog's images that `filter` lets through, each judged on `host`; grouped by framework
// in catalog order, official before NGC, then newest version, newest CUDA, runtime before devel.
// `on_engine` is null when the engine could not be asked.
ImageList tabulate_images(const resolve::Catalog& catalog, const resolve::HostFacts& host,
                          const ImageFilter& filter,
                          const std::function<bool(const resolve::ImageEntry&)>& on_engine);

// The spec's framework request (a spec with an explicit "image" is a usage error), the catalog,
// the Docker host's facts and, where the engine answers, the images it holds.
Result<ImageList> list_images(const ImagesRequest& request, const Surroundings& surroundings);

}  // namespace dlrun::run
