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

// The rules an image can be turned down by: the request's own, then the host's.
enum class RejectionRule {
  version_not_requested,
  cuda_not_requested,
  python_not_requested,
  python_unknown,  // Python was asked for, and the catalog does not know the image's
  variant_not_requested,
  source_not_requested,
  driver_below_minor_compat,       // the minor-version-compatibility floor of its CUDA major
  driver_below_image_minimum,      // the image's own stated minimum driver
  driver_below_toolkit,            // FROM nvidia/cuda: the toolkit's own driver
  driver_below_ptx_toolkit,        // a GPU runs its PTX, which needs its toolkit's driver
  forward_compat_datacenter_only,  // forward compatibility would cover it, on data-center GPUs
  gpu_outside_supported,           // outside the GPUs its release notes support
  gpu_arch_not_compiled,           // no kernels for the GPU, nor PTX that compiles for it
  toolkit_cannot_compile,          // a plain CUDA image whose toolkit cannot target the GPU
  gpu_stack_broken,                // the framework in the image cannot load its GPU libraries
};

// "driver-below-toolkit": the name that JSON and --explain print.
std::string_view rule_name(RejectionRule rule);

// Whether a newer driver is all the rule asks for.
bool is_driver_rule(RejectionRule rule);

// Why an image was turned down, and on what authority.
struct Rejection {
  RejectionRule rule;
  std::string message;  // "needs driver >= 525.60.13 (CUDA 12.1); this host has 470.82.01"
  // The catalog row that states the deciding fact: the image's own, or the cuda_toolkits,
  // minor_version_compatibility or architectures row. Empty for the request's own rules.
  std::string source;
  bool inferred = false;  // the deciding fact is one the source implies rather than states
};

struct Verdict {
  const ImageEntry* image = nullptr;
  std::vector<Rejection> rejections;  // empty: it fits
  std::vector<std::string> notes;     // how it fits, where that needs saying
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
// devel, newest NGC month. Inferred kernels never qualify a GPU that a stated row of the same
// build, or the architectures table, excludes. None fitting is an error naming the nearest fix.
Result<Resolution> resolve_image(const FrameworkRequest& request, const HostFacts& host,
                                 const Catalog& catalog,
                                 const std::function<bool(const ImageEntry&)>& present_locally);

// What in `image` the request rules out; empty when it is what was asked for.
std::vector<Rejection> request_mismatches(const FrameworkRequest& request, const ImageEntry& image);

// `image` judged on `host` alone, whatever was asked: no rejections when it runs there. The
// verdict's notes say how it runs where that needs saying, and which of its facts are inferred.
Verdict judge_on_host(const ImageEntry& image, const HostFacts& host, const Catalog& catalog);

// "PyTorch", "TensorFlow", …
// "TensorFlow in this image cannot use a GPU: <why>", for a row with gpu_unusable.
std::string gpu_unusable_message(const ImageEntry& image);
std::string framework_title(std::string_view name);

}  // namespace dlrun::resolve
