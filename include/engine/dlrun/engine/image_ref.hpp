#pragma once

#include <map>
#include <string>
#include <string_view>

#include "dlrun/error.hpp"

namespace dlrun::engine {

// An image reference, normalized the way the docker CLI does (distribution/reference):
// "busybox" is docker.io/library/busybox:latest.
struct ImageRef {
  std::string registry;    // "docker.io", "nvcr.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox", "nvidia/pytorch"
  std::string tag;         // empty when pinned by digest only
  std::string digest;      // "sha256:…", or empty

  // Registry and repository, as the pull API's fromImage wants them.
  std::string name() const;
  // The full reference: name, then :tag and/or @digest.
  std::string full() const;
  // As people write it: docker.io's "library/" and registry dropped.
  std::string familiar() const;

  bool operator==(const ImageRef&) const = default;
};

inline constexpr std::string_view kDockerHub = "docker.io";

Result<ImageRef> parse_image_ref(std::string_view text);

// Registry → mirror host, e.g. {"docker.io": "mirror.example:5000"}.
using RegistryMirrors = std::map<std::string, std::string>;

// The reference with its registry replaced by the configured mirror, if any.
ImageRef apply_mirror(const ImageRef& ref, const RegistryMirrors& mirrors);

}  // namespace dlrun::engine
