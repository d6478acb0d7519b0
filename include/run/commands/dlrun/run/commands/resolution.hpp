#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/run/commands/train.hpp"

// `dlrun resolve`: which image a spec gets on this Docker host, and why, as data to print.
namespace dlrun::run {

struct ResolveRequest {
  std::filesystem::path spec_file;
  resolve::HostFactsOverrides host;    // --driver-version, --gpu-arch
  std::optional<std::string> catalog;  // --catalog
};

struct Candidate {
  std::string image;
  bool fits = false;
  bool on_engine = false;
  std::vector<resolve::Rejection> rejections;  // why it does not fit
  std::vector<std::string> notes;              // how it fits, where that needs saying
};

struct ResolvedImage {
  std::string image;
  bool explicit_image = false;           // the spec names it: nothing was resolved
  std::string reason;                    // one line: why this one
  std::optional<std::string> pull_from;  // the registry mirror that stands in for its registry
  std::vector<Candidate> candidates;     // every image of the framework, best first
  // The job runs in its own image, built on this one from the spec's "build" section.
  bool built_on = false;
};

// The spec's image, or the one its framework resolves to on the Docker host (ranking the images
// the engine already has first, where the engine answers; without it, resolution still works).
Result<ResolvedImage> resolve_spec_image(const ResolveRequest& request,
                                         const Surroundings& surroundings);

}  // namespace dlrun::run
