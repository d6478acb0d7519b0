#include "dlrun/resolve/resolver.hpp"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace dlrun::resolve {
namespace {

std::string arch_name(const Version& capability) {
  return "sm_" + std::to_string(capability.major()) + std::to_string(capability.minor());
}

// "GPU 0 (NVIDIA A100, sm_80)": a GPU as the messages name it.
std::string gpu_name(const GpuFacts& gpu, const Version& capability) {
  std::string name = "GPU " + std::to_string(gpu.index) + " (";
  if (!gpu.name.empty()) name += gpu.name + ", ";
  return name + arch_name(capability) + ")";
}

bool has_sass_for(const std::vector<Version>& sass, const Version& capability) {
  return std::any_of(sass.begin(), sass.end(), [&](const Version& code) {
    return code.major() == capability.major() && code.minor() <= capability.minor();
  });
}

bool is_inferred(const ImageEntry& image, std::string_view field) {
  return std::find(image.inferred.begin(), image.inferred.end(), field) != image.inferred.end();
}

// The kernels an image is judged by. An inferred list gives way to a stated one for the same
// build (the runtime and devel images of one release and CUDA carry the same wheels), so a guess
// never qualifies a GPU that a stated row of that build has no kernels for.
struct Kernels {
  const std::vector<Version>* sass;
  std::optional<Version> ptx;
  bool sass_inferred;
  bool ptx_inferred;
  const ImageEntry* sass_row;  // whose list `sass` is: the image's, or a stated one of its build
};

Kernels kernels_of(const ImageEntry& image, const Catalog& catalog) {
  Kernels kernels{&image.sass, image.ptx, is_inferred(image, "sass"), is_inferred(image, "ptx"),
                  &image};
  if (!kernels.sass_inferred && !kernels.ptx_inferred) return kernels;
  for (const auto& other : catalog.images) {
    if (&other == &image || other.framework != image.framework ||
        other.source_kind != image.source_kind || other.version != image.version ||
        other.cuda != image.cuda)
      continue;
    if (kernels.sass_inferred && !is_inferred(other, "sass")) {
      kernels.sass = &other.sass;
      kernels.sass_inferred = false;
      kernels.sass_row = &other;
    }
    if (kernels.ptx_inferred && !is_inferred(other, "ptx")) {
      kernels.ptx = other.ptx;
      kernels.ptx_inferred = false;
    }
  }
  return kernels;
}

// SASS for X.Y runs on X.Z for Z >= Y (same major); PTX compiles for any newer GPU (given a
// driver at least as new as the toolkit that wrote it: see host_fit). A plain CUDA image has no
// kernels: its toolkit must be able to compile for the GPU. Inferred SASS counts only where the
// architectures table (stated) says the image's CUDA can compile for the GPU.
bool has_sass_here(const ImageEntry& image, const Version& capability, const Catalog& catalog) {
  const Kernels kernels = kernels_of(image, catalog);
  return has_sass_for(*kernels.sass, capability) &&
         (!kernels.sass_inferred || catalog.toolkit_targets(image.cuda, capability));
}

bool runs_on(const ImageEntry& image, const Version& capability, const Catalog& catalog) {
  if (image.framework == "cuda" && image.sass.empty())
    return catalog.toolkit_targets(image.cuda, capability);
  const Kernels kernels = kernels_of(image, catalog);
  return has_sass_here(image, capability, catalog) || (kernels.ptx && *kernels.ptx <= capability);
}

// The GPU has no code in the image. The deciding fact is the kernel list (the image's, or a
// stated one of its build), except where the architectures table overrules an inferred list.
Rejection no_kernels(const ImageEntry& image, const GpuFacts& gpu, const Version& capability,
                     const Catalog& catalog) {
  const GpuArchitecture* arch = catalog.architecture_for(capability);
  if (image.framework != "cuda" || !image.sass.empty()) {
    const Kernels kernels = kernels_of(image, catalog);
    const std::string reason = gpu_name(gpu, capability) + " has no kernels in it";
    if (kernels.sass_inferred && has_sass_for(*kernels.sass, capability) && arch)
      return {RejectionRule::gpu_arch_not_compiled, reason, arch->source, false};
    return {RejectionRule::gpu_arch_not_compiled, reason, kernels.sass_row->source,
            kernels.sass_inferred || kernels.ptx_inferred};
  }
  std::string reason = "CUDA " + image.cuda.prefix(2).to_string() + " cannot compile for " +
                       gpu_name(gpu, capability);
  if (arch) {
    if (arch->first_cuda.prefix(2) > image.cuda.prefix(2))
      reason += "; that needs CUDA >= " + arch->first_cuda.prefix(2).to_string();
    else if (arch->last_cuda)
      reason += "; CUDA " + arch->last_cuda->prefix(2).to_string() + " was the last for it";
  }
  return {RejectionRule::toolkit_cannot_compile, reason, arch ? arch->source : std::string(),
          is_inferred(image, "cuda")};
}

std::string capability_text(const Version& capability) {
  return std::to_string(capability.major()) + "." + std::to_string(capability.minor());
}

// Whether the image's release notes exclude the GPU. A stated exclusion outranks any kernels the
// catalog only infers; an inferred range still excludes (a refusal is the safe side of a guess).
bool within(const ImageEntry::ArchRange& range, const Version& capability) {
  return !(capability < range.min) && !(range.max < capability);
}

bool outside_supported(const ImageEntry& image, const Version& capability) {
  return image.supported_gpus && !within(*image.supported_gpus, capability);
}

Rejection not_supported(const ImageEntry& image, const ImageEntry::ArchRange& supported,
                        const GpuFacts& gpu, const Version& capability) {
  const bool inferred = is_inferred(image, "supported_gpus");
  return {RejectionRule::gpu_outside_supported,
          gpu_name(gpu, capability) +
              " is not among the GPUs its release notes support (compute capability " +
              capability_text(supported.min) + " to " + capability_text(supported.max) +
              (inferred ? ", partly inferred" : "") + ")",
          image.source, inferred};
}

// NVIDIA supports CUDA forward compatibility on data-center GPUs only.
bool data_center_gpu(const GpuFacts& gpu) {
  return gpu.brand == "tesla" || gpu.brand == "nvidia";
}

// The forward-compatibility branch floor that covers `driver`, if the image lists one.
std::optional<Version> forward_compat_floor(const ImageEntry& image, const Version& driver) {
  for (const auto& floor : image.forward_compat) {
    if (floor.major() == driver.major() && driver >= floor) return floor;
  }
  return std::nullopt;
}

// A driver floor with the rule that sets it and that rule's source.
struct DriverNeed {
  Version driver;
  RejectionRule rule;
  std::string source;
  bool inferred;
};

// The image's driver floor on this host: its own, raised to its toolkit's driver where a GPU
// runs its PTX (the driver compiles PTX only from toolkits no newer than itself).
std::optional<DriverNeed> driver_needed(const ImageEntry& image, const HostFacts& host,
                                        const Catalog& catalog) {
  const auto floor = catalog.driver_floor_for(image);
  if (!floor) return std::nullopt;
  const bool cuda_inferred = is_inferred(image, "cuda");
  DriverNeed need{floor->driver, RejectionRule::driver_below_toolkit, floor->source, cuda_inferred};
  switch (floor->basis) {
    case DriverFloor::Basis::image_minimum:
      need.rule = RejectionRule::driver_below_image_minimum;
      need.inferred = is_inferred(image, "min_driver");
      break;
    case DriverFloor::Basis::minor_version_compatibility:
      need.rule = RejectionRule::driver_below_minor_compat;
      break;
    case DriverFloor::Basis::toolkit:
      break;
  }
  const Kernels kernels = kernels_of(image, catalog);
  const bool needs_jit = std::any_of(host.gpus.begin(), host.gpus.end(), [&](const GpuFacts& gpu) {
    return gpu.compute_capability && !outside_supported(image, *gpu.compute_capability) &&
           !has_sass_here(image, *gpu.compute_capability, catalog) && kernels.ptx &&
           *kernels.ptx <= *gpu.compute_capability;
  });
  const CudaToolkit* toolkit = catalog.toolkit_for_cuda(image.cuda);
  if (needs_jit && toolkit && toolkit->min_driver > need.driver) {
    need = {toolkit->min_driver, RejectionRule::driver_below_ptx_toolkit, toolkit->source,
            cuda_inferred || kernels.ptx_inferred};
  }
  return need;
}

struct HostFit {
  std::vector<Rejection> rejections;
  std::vector<std::string> notes;
};

HostFit host_fit(const ImageEntry& image, const HostFacts& host, const Catalog& catalog) {
  HostFit fit;
  // Whatever the host: a job would train on the CPU without saying so.
  if (!image.gpu_unusable.empty()) {
    fit.rejections.push_back(
        {RejectionRule::gpu_stack_broken, gpu_unusable_message(image), image.source, false});
  }
  const auto needed = driver_needed(image, host, catalog);
  if (host.driver) {
    if (needed && *host.driver < needed->driver) {
      const auto floor = forward_compat_floor(image, *host.driver);
      const bool data_center =
          !host.gpus.empty() && std::all_of(host.gpus.begin(), host.gpus.end(), data_center_gpu);
      const std::string branch = "R" + std::to_string(host.driver->major());
      if (floor && data_center) {
        fit.notes.push_back("runs on " + branch +
                            " through CUDA forward compatibility (data-center GPUs)");
      } else {
        std::string reason = "needs driver >= " + needed->driver.to_string() + " (CUDA " +
                             image.cuda.to_string() + "); this host has " +
                             host.driver->to_string();
        if (floor) {
          // The driver alone rules it out everywhere but on data-center GPUs: that is the rule.
          reason += " (data-center GPUs on " + branch + " could use CUDA forward compatibility" +
                    (host.gpus.empty() ? "; this host's GPUs are unknown)" : "; these are not)");
          fit.rejections.push_back({RejectionRule::forward_compat_datacenter_only,
                                    std::move(reason), image.source,
                                    is_inferred(image, "forward_compat")});
        } else {
          fit.rejections.push_back(
              {needed->rule, std::move(reason), needed->source, needed->inferred});
        }
      }
    }
  }
  for (const auto& gpu : host.gpus) {
    if (!gpu.compute_capability) continue;
    const Version& capability = *gpu.compute_capability;
    if (const auto& supported = image.supported_gpus;
        supported && !within(*supported, capability)) {
      fit.rejections.push_back(not_supported(image, *supported, gpu, capability));
    } else if (!runs_on(image, capability, catalog)) {
      fit.rejections.push_back(no_kernels(image, gpu, capability, catalog));
    }
  }
  return fit;
}

std::vector<Rejection> host_mismatches(const ImageEntry& image, const HostFacts& host,
                                       const Catalog& catalog) {
  return host_fit(image, host, catalog).rejections;
}

// Local first (no multi-GB pull), then the framework's own images over NGC's, then the newest
// framework; within a release, a row whose facts are all stated before one that guesses some,
// then the newest CUDA the host runs, runtime before devel; NGC rows equal in all of that, the
// newer month (a later build of the same release, not the catalog's row order).
bool better(const Verdict& a, const Verdict& b) {
  if (a.rejections.empty() != b.rejections.empty()) return a.rejections.empty();
  if (a.present_locally != b.present_locally) return a.present_locally;
  if (a.image->source_kind != b.image->source_kind)
    return a.image->source_kind == ImageSource::official;
  if (a.image->version != b.image->version) return a.image->version > b.image->version;
  if (a.image->inferred.empty() != b.image->inferred.empty()) return a.image->inferred.empty();
  if (a.image->cuda != b.image->cuda) return a.image->cuda > b.image->cuda;
  if (a.image->variant != b.image->variant) return a.image->variant == Variant::runtime;
  return ngc_release(*a.image) > ngc_release(*b.image);  // no month (none) ranks last
}

// "PyTorch 2.3 with CUDA >=12.1": the framework, version, CUDA and Python asked for.
std::string describe_request(const FrameworkRequest& request) {
  std::string text = framework_title(request.name);
  if (request.version) text += " " + request.version->text();
  if (request.cuda) text += " with CUDA " + request.cuda->text();
  if (request.python)
    text += std::string(request.cuda ? " and" : " with") + " Python " + request.python->text();
  return text;
}

// "NGC PyTorch 2.3 devel with CUDA >=12.4": every constraint, to say which found nothing.
std::string describe_constraints(const FrameworkRequest& request) {
  std::string text =
      request.source ? (*request.source == ImageSource::ngc ? "NGC " : "official ") : std::string();
  text += framework_title(request.name);
  if (request.version) text += " " + request.version->text();
  if (request.variant) text += *request.variant == Variant::devel ? " devel" : " runtime";
  const FrameworkRequest runtime_only{.name = "", .cuda = request.cuda, .python = request.python};
  return text + describe_request(runtime_only);
}

// "2.3.0" where the catalog has 2.3.1: the patch releases of that minor it does have, if any.
std::optional<std::string> patch_release_hint(const FrameworkRequest& request,
                                              const FrameworkRequest& any_version,
                                              const std::vector<Verdict>& considered,
                                              const std::string& title) {
  const auto exact = request.version ? Version::parse(request.version->text()) : std::nullopt;
  if (!exact || exact->prefix(2).to_string() == exact->to_string()) return std::nullopt;
  std::vector<Version> patches;
  for (const auto& verdict : considered) {
    const Version& version = verdict.image->version;
    if (version.prefix(2) == exact->prefix(2) &&
        request_mismatches(any_version, *verdict.image).empty() &&
        std::find(patches.begin(), patches.end(), version) == patches.end())
      patches.push_back(version);
  }
  if (patches.empty()) return std::nullopt;
  std::sort(patches.begin(), patches.end(), std::greater<>());
  std::string have;
  for (const auto& version : patches) have += (have.empty() ? "" : " and ") + version.to_string();
  const std::string minor = exact->prefix(2).to_string();
  return "the catalog has " + title + " " + minor + " as " + have + ": ask for \"" + minor +
         "\" to take the newest " + minor + " release, or give \"image\" explicitly";
}

}  // namespace

std::string_view rule_name(RejectionRule rule) {
  switch (rule) {
    case RejectionRule::version_not_requested:
      return "version-not-requested";
    case RejectionRule::cuda_not_requested:
      return "cuda-not-requested";
    case RejectionRule::python_not_requested:
      return "python-not-requested";
    case RejectionRule::python_unknown:
      return "python-unknown";
    case RejectionRule::variant_not_requested:
      return "variant-not-requested";
    case RejectionRule::source_not_requested:
      return "source-not-requested";
    case RejectionRule::driver_below_minor_compat:
      return "driver-below-minor-compat";
    case RejectionRule::driver_below_image_minimum:
      return "driver-below-image-minimum";
    case RejectionRule::driver_below_toolkit:
      return "driver-below-toolkit";
    case RejectionRule::driver_below_ptx_toolkit:
      return "driver-below-ptx-toolkit";
    case RejectionRule::forward_compat_datacenter_only:
      return "forward-compat-datacenter-only";
    case RejectionRule::gpu_outside_supported:
      return "gpu-outside-supported";
    case RejectionRule::gpu_arch_not_compiled:
      return "gpu-arch-not-compiled";
    case RejectionRule::toolkit_cannot_compile:
      return "toolkit-cannot-compile";
    case RejectionRule::gpu_stack_broken:
      return "gpu-stack-broken";
  }
  return "unknown";
}

bool is_driver_rule(RejectionRule rule) {
  switch (rule) {
    case RejectionRule::driver_below_minor_compat:
    case RejectionRule::driver_below_image_minimum:
    case RejectionRule::driver_below_toolkit:
    case RejectionRule::driver_below_ptx_toolkit:
    case RejectionRule::forward_compat_datacenter_only:
      return true;
    default:
      return false;
  }
}

std::vector<Rejection> request_mismatches(const FrameworkRequest& request,
                                          const ImageEntry& image) {
  std::vector<Rejection> reasons;
  const auto add = [&](RejectionRule rule, std::string message, std::string_view field = {}) {
    reasons.push_back({rule, std::move(message), "", !field.empty() && is_inferred(image, field)});
  };
  const std::string title = framework_title(image.framework);
  if (request.version && !request.version->allows(image.version)) {
    add(RejectionRule::version_not_requested,
        title + " " + image.version.to_string() + " is not " + request.version->text(), "version");
  }
  if (request.cuda && !request.cuda->allows(image.cuda)) {
    add(RejectionRule::cuda_not_requested,
        "CUDA " + image.cuda.to_string() + " is not " + request.cuda->text(), "cuda");
  }
  if (request.python) {
    if (!image.python) {
      add(RejectionRule::python_unknown, "its Python version is not in the catalog");
    } else if (!request.python->allows(*image.python)) {
      add(RejectionRule::python_not_requested,
          "Python " + image.python->to_string() + " is not " + request.python->text(), "python");
    }
  }
  if (request.variant && *request.variant != image.variant) {
    add(RejectionRule::variant_not_requested,
        std::string("a ") + (image.variant == Variant::runtime ? "runtime" : "devel") + " image");
  }
  if (request.source && *request.source != image.source_kind) {
    add(RejectionRule::source_not_requested,
        image.source_kind == ImageSource::official ? "an official image" : "an NGC image");
  }
  return reasons;
}

Verdict judge_on_host(const ImageEntry& image, const HostFacts& host, const Catalog& catalog) {
  auto fit = host_fit(image, host, catalog);
  Verdict verdict{&image, std::move(fit.rejections), std::move(fit.notes), false};
  if (!image.inferred.empty()) {
    std::string fields;
    for (const auto& field : image.inferred) fields += (fields.empty() ? "" : ", ") + field;
    verdict.notes.push_back("catalog data inferred: " + fields);
  }
  return verdict;
}

std::string gpu_unusable_message(const ImageEntry& image) {
  return framework_title(image.framework) +
         " in this image cannot use a GPU: " + image.gpu_unusable;
}

std::string framework_title(std::string_view name) {
  if (name == "pytorch") return "PyTorch";
  if (name == "tensorflow") return "TensorFlow";
  if (name == "jax") return "JAX";
  if (name == "cuda") return "CUDA";
  return std::string(name);
}

Result<Resolution> resolve_image(const FrameworkRequest& request, const HostFacts& host,
                                 const Catalog& catalog,
                                 const std::function<bool(const ImageEntry&)>& present_locally) {
  Resolution resolution;
  std::vector<Verdict> matching;  // what the request asks for, whatever the host
  for (const auto& image : catalog.images) {
    if (image.framework != request.name) continue;
    Verdict verdict = judge_on_host(image, host, catalog);
    auto mismatches = request_mismatches(request, image);
    const bool requested = mismatches.empty();
    verdict.rejections.insert(verdict.rejections.begin(),
                              std::make_move_iterator(mismatches.begin()),
                              std::make_move_iterator(mismatches.end()));
    verdict.present_locally = present_locally(image);
    if (requested) matching.push_back(verdict);
    resolution.considered.push_back(std::move(verdict));
  }
  std::stable_sort(resolution.considered.begin(), resolution.considered.end(), better);
  const std::string title = framework_title(request.name);

  if (!resolution.considered.empty() && resolution.considered.front().rejections.empty()) {
    const Verdict& chosen = resolution.considered.front();
    resolution.chosen = chosen.image;
    resolution.reason = chosen.present_locally
                            ? "already on the engine, and fits this host"
                            : "the newest " + title + " image that fits this host";
    if (host.driver) resolution.reason += " (driver " + host.driver->to_string();
    for (const auto& gpu : host.gpus) {
      if (gpu.compute_capability) resolution.reason += ", " + arch_name(*gpu.compute_capability);
    }
    if (host.driver) resolution.reason += ")";
    for (const auto& note : chosen.notes) resolution.reason += "; " + note;
    return resolution;
  }

  if (matching.empty()) {
    // The versions that would meet every other constraint: the hint must not list a version
    // that a variant, source, CUDA or Python constraint has just ruled out.
    FrameworkRequest any_version = request;
    any_version.version.reset();
    std::vector<std::string> versions;
    for (const auto& verdict : resolution.considered) {
      if (!request_mismatches(any_version, *verdict.image).empty()) continue;
      const std::string version = verdict.image->version.prefix(2).to_string();
      if (std::find(versions.begin(), versions.end(), version) == versions.end())
        versions.push_back(version);
    }
    std::sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
      return *Version::parse(a) > *Version::parse(b);
    });
    std::string known;
    for (const auto& version : versions) known += (known.empty() ? "" : ", ") + version;
    if (auto patches = patch_release_hint(request, any_version, resolution.considered, title)) {
      return fail(ErrorKind::usage,
                  "the catalog has no " + describe_constraints(request) + " image", *patches);
    }
    return fail(ErrorKind::usage, "the catalog has no " + describe_constraints(request) + " image",
                versions.empty()
                    ? "dlrun's catalog has no " + describe_constraints(any_version) +
                          " images; relax the constraints, or give \"image\" explicitly"
                    : "versions in the catalog for " + describe_constraints(any_version) + ": " +
                          known + "; or give \"image\" explicitly");
  }

  // Everything asked for fails on this host: say what it needs, and what would run here.
  std::stable_sort(matching.begin(), matching.end(), better);
  // Candidates for "what would run here": this framework from the requested source, any version.
  const auto fits_here = [&](const ImageEntry& image) {
    return image.framework == request.name &&
           (!request.source || image.source_kind == *request.source) &&
           host_mismatches(image, host, catalog).empty();
  };
  std::optional<Version> newest_fitting;
  for (const auto& image : catalog.images) {
    if (fits_here(image) && (!newest_fitting || image.version > *newest_fitting))
      newest_fitting = image.version;
  }
  // A newer driver is the fix when some requested image fails on nothing else.
  std::vector<const Verdict*> driver_fixable;
  for (const auto& verdict : matching) {
    if (std::all_of(verdict.rejections.begin(), verdict.rejections.end(),
                    [](const Rejection& reason) { return is_driver_rule(reason.rule); }))
      driver_fixable.push_back(&verdict);
  }
  std::string message;
  std::string hint;
  // An image this driver runs whose framework cannot use a GPU at all (gpu_unusable): that is
  // why the request fails on this host, said first, so that no one upgrades a driver that is
  // fine for it; the driver the others need comes after.
  const auto broken = std::find_if(matching.begin(), matching.end(), [](const Verdict& v) {
    return std::none_of(v.rejections.begin(), v.rejections.end(),
                        [](const Rejection& reason) { return is_driver_rule(reason.rule); }) &&
           std::any_of(v.rejections.begin(), v.rejections.end(), [](const Rejection& reason) {
             return reason.rule == RejectionRule::gpu_stack_broken;
           });
  });
  std::string decisive;
  if (!driver_fixable.empty() && broken != matching.end()) {
    decisive = gpu_unusable_message(*broken->image) + " (" + broken->image->reference +
               "); the other " + describe_request(request) + " images need ";
  }
  if (!driver_fixable.empty()) {
    message = decisive.empty() ? describe_request(request) + " images need " : decisive;
    // The best image's floor, then each lower one (a higher floor fixes nothing the first does
    // not); three are enough to choose from.
    std::vector<std::string> floors;
    std::optional<Version> lowest;
    for (const Verdict* verdict : driver_fixable) {
      const auto needed = driver_needed(*verdict->image, host, catalog);
      if (!needed || (lowest && needed->driver >= *lowest) || floors.size() == 3) continue;
      lowest = needed->driver;
      floors.push_back("driver >= " + needed->driver.to_string() + " (CUDA " +
                       verdict->image->cuda.to_string() + ")");
    }
    for (std::size_t i = 0; i < floors.size(); ++i) message += (i == 0 ? "" : " or ") + floors[i];
    message +=
        "; this host has " + (host.driver ? host.driver->to_string() : std::string("no driver"));
    hint = "upgrade the driver";
    if (!decisive.empty()) hint += " (for " + driver_fixable.front()->image->reference + ")";
    if (newest_fitting)
      hint += ", or use " + title + " <= " + newest_fitting->prefix(2).to_string();
    for (const Verdict* verdict : driver_fixable) {
      if (host.driver && forward_compat_floor(*verdict->image, *host.driver)) {
        hint += "; data-center GPUs on R" + std::to_string(host.driver->major()) + " could run " +
                verdict->image->reference + " through CUDA forward compatibility (" +
                (host.gpus.empty() ? "this host's GPUs are unknown" : "these GPUs are not") + ")";
        break;
      }
    }
  } else {
    const Verdict& nearest =
        *std::min_element(matching.begin(), matching.end(), [](const Verdict& a, const Verdict& b) {
          return a.rejections.size() < b.rejections.size();
        });
    message = nearest.rejections.front().message + " (" + describe_request(request) + ": " +
              nearest.image->reference + ")";
    // The fitting image nearest to what was asked: the oldest newer one (a new GPU needs a new
    // build), else the newest older one (an old GPU lost its kernels in newer builds).
    Version newest_requested = matching.front().image->version;
    for (const auto& verdict : matching)
      newest_requested = std::max(newest_requested, verdict.image->version);
    const ImageEntry* newer_fit = nullptr;
    const ImageEntry* older_fit = nullptr;
    for (const auto& image : catalog.images) {
      if (!fits_here(image)) continue;
      if (image.version > newest_requested) {
        if (!newer_fit ||
            std::tie(image.version, image.cuda) < std::tie(newer_fit->version, newer_fit->cuda))
          newer_fit = &image;
      } else if (!older_fit || std::tie(image.version, image.cuda) >
                                   std::tie(older_fit->version, older_fit->cuda)) {
        older_fit = &image;
      }
    }
    // The same release built for another CUDA: what a CUDA constraint alone ruled out.
    const ImageEntry* other_cuda = nullptr;
    if (request.cuda) {
      FrameworkRequest any_cuda = request;
      any_cuda.cuda.reset();
      for (const auto& image : catalog.images) {
        if (!fits_here(image) || !request_mismatches(any_cuda, image).empty()) continue;
        if (!other_cuda ||
            std::tie(image.version, image.cuda) > std::tie(other_cuda->version, other_cuda->cuda))
          other_cuda = &image;
      }
    }
    const bool plain_cuda = request.name == "cuda";
    if (other_cuda && !plain_cuda) {
      hint = "use " + title + " " + other_cuda->version.prefix(2).to_string() + " with CUDA " +
             other_cuda->cuda.prefix(2).to_string() + " (" + other_cuda->reference +
             "), which has kernels for this host's GPUs";
    } else if (newer_fit) {
      hint = "use " + title + " >= " + newer_fit->version.prefix(2).to_string() +
             (plain_cuda ? "" : " with CUDA >= " + newer_fit->cuda.prefix(2).to_string());
    } else if (older_fit) {
      hint = "use " + title + " " + older_fit->version.prefix(2).to_string() +
             (plain_cuda ? "" : " with CUDA " + older_fit->cuda.prefix(2).to_string()) + " (" +
             older_fit->reference + "), the newest that runs on this host's GPUs";
    } else {
      hint = "no " + title + " image in the catalog fits this host; give \"image\" explicitly";
    }
  }
  return fail(ErrorKind::gpu_unavailable, message, hint);
}

}  // namespace dlrun::resolve
