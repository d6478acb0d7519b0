#include "dlrun/resolve/resolver.hpp"

#include <algorithm>
#include <sstream>

namespace dlrun::resolve {
namespace {

std::string arch_name(const Version& capability) {
  return "sm_" + std::to_string(capability.major()) + std::to_string(capability.minor());
}

std::string gpu_name(const GpuFacts& gpu) {
  std::string name = "GPU " + std::to_string(gpu.index) + " (";
  if (!gpu.name.empty()) name += gpu.name + ", ";
  return name + arch_name(*gpu.compute_capability) + ")";
}

// SASS for X.Y runs on X.Z for Z >= Y (same major); PTX compiles for any newer GPU, given a
// driver at least as new as the toolkit that wrote it.
bool runs_on(const ImageEntry& image, const Version& capability, const HostFacts& host,
             const Catalog& catalog) {
  for (const auto& sass : image.sass) {
    if (sass.major() == capability.major() && sass.minor() <= capability.minor()) return true;
  }
  if (image.ptx && *image.ptx <= capability) {
    const auto needed = catalog.driver_for_cuda(image.cuda);
    return !host.driver || !needed || *host.driver >= *needed;
  }
  return false;
}

std::vector<std::string> request_mismatches(const FrameworkRequest& request,
                                            const ImageEntry& image) {
  std::vector<std::string> reasons;
  const std::string title = framework_title(image.framework);
  if (request.version && !request.version->allows(image.version)) {
    reasons.push_back(title + " " + image.version.to_string() + " is not " +
                      request.version->text());
  }
  if (request.cuda && !request.cuda->allows(image.cuda)) {
    reasons.push_back("CUDA " + image.cuda.to_string() + " is not " + request.cuda->text());
  }
  if (request.variant && *request.variant != image.variant) {
    reasons.push_back(std::string("a ") +
                      (image.variant == Variant::runtime ? "runtime" : "devel") + " image");
  }
  if (request.source && *request.source != image.source_kind) {
    reasons.push_back(image.source_kind == ImageSource::official ? "an official image"
                                                                 : "an NGC image");
  }
  return reasons;
}

std::vector<std::string> host_mismatches(const ImageEntry& image, const HostFacts& host,
                                         const Catalog& catalog) {
  std::vector<std::string> reasons;
  if (host.driver) {
    if (auto needed = catalog.min_driver_for(image); needed && *host.driver < *needed) {
      reasons.push_back("needs driver >= " + needed->to_string() + " (CUDA " +
                        image.cuda.to_string() + "); this host has " + host.driver->to_string());
    }
  }
  for (const auto& gpu : host.gpus) {
    if (gpu.compute_capability && !runs_on(image, *gpu.compute_capability, host, catalog)) {
      reasons.push_back(gpu_name(gpu) + " has no kernels in it");
    }
  }
  return reasons;
}

bool better(const Verdict& a, const Verdict& b) {
  if (a.rejections.empty() != b.rejections.empty()) return a.rejections.empty();
  if (a.present_locally != b.present_locally) return a.present_locally;
  if (a.image->version != b.image->version) return a.image->version > b.image->version;
  if (a.image->cuda != b.image->cuda) return a.image->cuda > b.image->cuda;
  if (a.image->variant != b.image->variant) return a.image->variant == Variant::runtime;
  return a.image->source_kind == ImageSource::official &&
         b.image->source_kind != ImageSource::official;
}

std::string describe_request(const FrameworkRequest& request) {
  std::string text = framework_title(request.name);
  if (request.version) text += " " + request.version->text();
  if (request.cuda) text += " with CUDA " + request.cuda->text();
  return text;
}

}  // namespace

std::optional<VersionConstraint> VersionConstraint::parse(std::string_view text) {
  VersionConstraint constraint;
  constraint.text_ = std::string(text);
  std::stringstream parts{std::string(text)};
  std::string part;
  while (std::getline(parts, part, ',')) {
    part.erase(std::remove(part.begin(), part.end(), ' '), part.end());
    std::string op = "=";
    for (const char* candidate : {">=", "<=", "==", ">", "<", "="}) {
      if (part.starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    const std::size_t skip =
        part.starts_with(op) && op != "=" ? op.size() : (part.starts_with("=") ? 1 : 0);
    if (op == "==") op = "=";
    auto version = Version::parse(std::string_view(part).substr(skip));
    if (!version) return std::nullopt;
    constraint.bounds_.push_back({op, *version});
  }
  if (constraint.bounds_.empty()) return std::nullopt;
  return constraint;
}

bool VersionConstraint::allows(const Version& version) const {
  for (const auto& bound : bounds_) {
    const auto& wanted = bound.version;
    bool ok = true;
    if (bound.op == "=") {
      // As many components as were written: 2.3 allows 2.3.1, 2.3.1 allows only itself.
      const std::string wanted_text = wanted.to_string();
      const auto written =
          static_cast<std::size_t>(std::count(wanted_text.begin(), wanted_text.end(), '.')) + 1;
      ok = version.prefix(written) == wanted;
    } else if (bound.op == ">=") {
      ok = version >= wanted;
    } else if (bound.op == "<=") {
      ok = version <= wanted;
    } else if (bound.op == ">") {
      ok = version > wanted;
    } else {
      ok = version < wanted;
    }
    if (!ok) return false;
  }
  return true;
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
    Verdict verdict{&image, request_mismatches(request, image), present_locally(image)};
    const bool requested = verdict.rejections.empty();
    for (auto& reason : host_mismatches(image, host, catalog))
      verdict.rejections.push_back(std::move(reason));
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
    return resolution;
  }

  if (matching.empty()) {
    std::vector<std::string> versions;
    for (const auto& verdict : resolution.considered) {
      const std::string version = verdict.image->version.prefix(2).to_string();
      if (std::find(versions.begin(), versions.end(), version) == versions.end())
        versions.push_back(version);
    }
    std::string known;
    for (const auto& version : versions) known += (known.empty() ? "" : ", ") + version;
    return fail(ErrorKind::usage, "the catalog has no " + describe_request(request) + " image",
                versions.empty()
                    ? "dlrun's catalog has no " + title + " images yet; give \"image\" explicitly"
                    : "versions in the catalog: " + known + "; or give \"image\" explicitly");
  }

  // Everything asked for fails on this host: say what it needs, and what would run here.
  std::stable_sort(matching.begin(), matching.end(), better);
  std::optional<Version> newest_fitting;  // of this framework, ignoring the request
  for (const auto& image : catalog.images) {
    if (image.framework == request.name && host_mismatches(image, host, catalog).empty() &&
        (!newest_fitting || image.version > *newest_fitting)) {
      newest_fitting = image.version;
    }
  }
  const Verdict& nearest = *std::min_element(
      matching.begin(), matching.end(),
      [](const Verdict& a, const Verdict& b) { return a.rejections.size() < b.rejections.size(); });
  const bool driver_problem = std::any_of(matching.begin(), matching.end(), [](const Verdict& v) {
    return !v.rejections.empty() && v.rejections.front().starts_with("needs driver");
  });
  std::string message;
  std::string hint;
  if (driver_problem) {
    message = describe_request(request) + " images need ";
    // Each distinct floor once, with the newest CUDA it buys; three are enough to choose from.
    std::vector<std::string> floors;
    std::vector<Version> seen;
    for (const auto& verdict : matching) {
      const auto needed = catalog.min_driver_for(*verdict.image);
      if (!needed || std::find(seen.begin(), seen.end(), *needed) != seen.end() ||
          floors.size() == 3)
        continue;
      seen.push_back(*needed);
      floors.push_back("driver >= " + needed->to_string() + " (CUDA " +
                       verdict.image->cuda.to_string() + ")");
    }
    for (std::size_t i = 0; i < floors.size(); ++i) message += (i == 0 ? "" : " or ") + floors[i];
    message +=
        "; this host has " + (host.driver ? host.driver->to_string() : std::string("no driver"));
    hint = "upgrade the driver";
    if (newest_fitting)
      hint += ", or use " + title + " <= " + newest_fitting->prefix(2).to_string();
  } else {
    message = nearest.rejections.front() + " (" + describe_request(request) + ": " +
              nearest.image->reference + ")";
    // The oldest version that has kernels for every GPU here.
    const ImageEntry* first_fitting = nullptr;
    for (const auto& image : catalog.images) {
      if (image.framework == request.name && host_mismatches(image, host, catalog).empty() &&
          (!first_fitting || image.version < first_fitting->version ||
           (image.version == first_fitting->version && image.cuda < first_fitting->cuda))) {
        first_fitting = &image;
      }
    }
    hint = first_fitting
               ? "use " + title + " >= " + first_fitting->version.prefix(2).to_string() +
                     " with CUDA >= " + first_fitting->cuda.to_string()
               : "no " + title + " image in the catalog fits this host; give \"image\" explicitly";
  }
  return fail(ErrorKind::gpu_unavailable, message, hint);
}

}  // namespace dlrun::resolve
