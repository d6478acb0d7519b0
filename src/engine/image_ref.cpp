#include "dlrun/engine/image_ref.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace dlrun::engine {
namespace {

// Docker Hub answers to several names; credentials and mirrors are keyed by one.
std::string canonical_registry(std::string registry) {
  if (registry == "index.docker.io" || registry == "registry-1.docker.io")
    return std::string(kDockerHub);
  return registry;
}

}  // namespace

std::string ImageRef::name() const {
  return registry + "/" + repository;
}

std::string ImageRef::full() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageRef::familiar() const {
  std::string out = full();
  if (registry == kDockerHub) {
    out = out.substr(registry.size() + 1);
    if (out.starts_with("library/")) out = out.substr(8);
  }
  return out;
}

Result<ImageRef> parse_image_ref(std::string_view text) {
  const auto invalid = [&](const std::string& why) {
    return fail(ErrorKind::usage,
                "\"" + std::string(text) + "\" is not a valid image reference: " + why,
                "write [registry/]repository[:tag|@digest], e.g. nvcr.io/nvidia/pytorch:24.05-py3");
  };
  ImageRef ref;
  std::string rest(text);
  if (const auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    static const std::regex kDigest("[a-z0-9]+:[a-f0-9]{32,}");
    if (!std::regex_match(ref.digest, kDigest)) return invalid("bad digest");
  }
  // The first component is a registry only if it looks like a host: has a '.' or ':', or is
  // "localhost" (distribution/reference's rule).
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string first = rest.substr(0, slash);
    const bool has_upper = std::any_of(first.begin(), first.end(), [](char c) {
      return std::isupper(static_cast<unsigned char>(c));
    });
    if (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
        first == "localhost" || has_upper) {
      ref.registry = canonical_registry(first);
      rest = rest.substr(slash + 1);
    }
  }
  if (ref.registry.empty()) ref.registry = std::string(kDockerHub);
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    static const std::regex kTag("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    if (!std::regex_match(ref.tag, kTag)) return invalid("bad tag \"" + ref.tag + "\"");
  } else if (ref.digest.empty()) {
    ref.tag = "latest";
  }
  static const std::regex kPath(
      "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  if (rest.empty() || !std::regex_match(rest, kPath)) {
    return invalid("repository names use lowercase letters, digits and separators (. _ - /)");
  }
  if (ref.registry == kDockerHub && rest.find('/') == std::string::npos) rest = "library/" + rest;
  ref.repository = rest;
  return ref;
}

ImageRef apply_mirror(const ImageRef& ref, const RegistryMirrors& mirrors) {
  const auto mirror = mirrors.find(ref.registry);
  if (mirror == mirrors.end()) return ref;
  ImageRef mirrored = ref;
  mirrored.registry = mirror->second;
  return mirrored;
}

}  // namespace dlrun::engine
