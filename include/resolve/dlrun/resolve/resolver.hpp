#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/host_facts.hpp"

// Framework + constraints + this host → the image that will actually run here, or a refusal
// that says what would.
namespace dlrun::resolve {

struct FrameworkRequest {
  std::string name;  // pytorch, tensorflow, jax, cuda
  std::optional<VersionConstraint> version;
  std::optional<VersionConstraint> cuda;
  std::optional<VersionConstraint> python;
  std::optional<Variant> variant;
  std::optional<ImageSource> source;
};

struct Verdict {
  const ImageEntry* image = nullptr;
  std::vector<std::string> rejections;  // empty: it fits
  std::vector<std::string> notes;       // how it fits, where that needs saying
  bool present_locally = false;
};

struct Resolution {
  const ImageEntry* chosen = nullptr;
  std::string reason;               // one line: why this one
  std::vector<Verdict> considered;  // every image of the framework, best first
};

// The best image for `request` on `host`: it must match the request, run on the host's driver
// and have kernels (or PTX the driver can compile) for every GPU. Ranked: already on the engine,
// official before NGC, newest framework, stated data before inferred, newest CUDA, runtime before
// devel. Inferred kernels never qualify a GPU that a stated row of the same build, or the
// architectures table, excludes. None fitting is an error naming the nearest fix.
Result<Resolution> resolve_image(const FrameworkRequest& request, const HostFacts& host,
                                 const Catalog& catalog,
                                 const std::function<bool(const ImageEntry&)>& present_locally);

// "PyTorch", "TensorFlow", …
std::string framework_title(std::string_view name);

}  // namespace dlrun::resolve
