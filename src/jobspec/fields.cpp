#include "dlrun/jobspec/fields.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include "dlrun/jobspec/schema.hpp"
#include "dlrun/jobspec/suggest.hpp"
#include "dlrun/jobspec/units.hpp"

namespace dlrun::jobspec {
namespace {

// Docker's own limits (distribution/reference): a repository name of at most 255 characters,
// a tag of at most 128.
constexpr std::size_t kMaxImageName = 255;
constexpr std::size_t kMaxImageTag = 128;
constexpr std::size_t kMaxPathComponent = 255;  // NAME_MAX on Linux file systems
constexpr std::size_t kMaxPath = 4095;          // PATH_MAX, less its NUL

// Variables dlrun itself owns: setting them would silently fight the `gpus` field.
constexpr std::array<std::string_view, 2> kReservedEnv{"NVIDIA_VISIBLE_DEVICES",
                                                       "CUDA_VISIBLE_DEVICES"};

// Long values are shown by their start: a multi-megabyte reference must not fill the screen.
std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 60;
  if (text.size() <= kShown) return "\"" + std::string(text) + "\"";
  // Cut between characters, not inside one: problems are printed as JSON too.
  std::size_t shown = kShown;
  while (shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0) == 0x80) --shown;
  return "\"" + std::string(text.substr(0, shown)) + "…\" (" + std::to_string(text.size()) +
         " characters)";
}

bool is_registry_host(std::string_view host) {
  static const std::regex kHost("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?");
  return host.size() <= kMaxImageName && std::regex_match(host.begin(), host.end(), kHost);
}

}  // namespace

bool is_valid_job_name(std::string_view name) {
  static const std::regex kPattern("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
  return std::regex_match(name.begin(), name.end(), kPattern);
}

FieldCheck check_text(std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return std::nullopt;
  return FieldProblem{"contains a NUL character (\\u0000)",
                      "remove it: no program, path or variable can carry one"};
}

FieldCheck check_job_name(std::string_view name) {
  if (is_valid_job_name(name)) return std::nullopt;
  return FieldProblem{quoted(name) + " is not a valid job name",
                      "use 1-63 letters, digits, '_', '.', '-', starting with a letter or digit"};
}

FieldCheck check_image_reference(std::string_view image) {
  const std::string hint =
      "write [registry/]repository[:tag|@digest], e.g. \"nvcr.io/nvidia/pytorch:24.05-py3\"";
  const bool has_space = std::any_of(image.begin(), image.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\0';
  });
  if (image.empty() || has_space || image.front() == '-' || image.front() == ':') {
    return FieldProblem{quoted(image) + " is not an image reference", hint};
  }
  // name[:tag][@digest]: the tag is what follows the last ':' after the last '/'.
  std::string_view name = image.substr(0, image.find('@'));
  std::string_view tag;
  if (const auto colon = name.rfind(':');
      colon != std::string_view::npos && name.find('/', colon) == std::string_view::npos) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  if (name.size() > kMaxImageName || tag.size() > kMaxImageTag) {
    return FieldProblem{quoted(image) + " is too long for an image reference",
                        "Docker allows 255 characters of repository name and 128 of tag; " + hint};
  }
  return std::nullopt;
}

FieldCheck check_env_name(std::string_view name) {
  static const std::regex kPattern("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(name.begin(), name.end(), kPattern)) {
    return FieldProblem{"invalid variable name " + quoted(name),
                        "use letters, digits and underscores, not starting with a digit"};
  }
  if (std::find(kReservedEnv.begin(), kReservedEnv.end(), name) != kReservedEnv.end()) {
    return FieldProblem{std::string(name) + " is set by dlrun from the `gpus` field",
                        "choose GPUs with \"gpus\" (or --gpus) instead, e.g. \"gpus\": [\"0\", "
                        "\"2\"]"};
  }
  if (name == "DLRUN_ATTEMPT" || name == "DLRUN_RESUME_FROM") {
    return FieldProblem{std::string(name) + " is set by dlrun for each attempt",
                        "choose another name; \"retry\" and \"checkpoint\" decide its value "
                        "(docs/retries.md)"};
  }
  return std::nullopt;
}

FieldCheck check_registry_mirror(std::string_view registry, std::string_view mirror) {
  if (is_registry_host(registry) && is_registry_host(mirror)) return std::nullopt;
  return FieldProblem{quoted(registry) + ": " + quoted(mirror) + " is not a registry: mirror pair",
                      "write registry hosts without a scheme or path, e.g. {\"docker.io\": "
                      "\"mirror.example:5000\"}"};
}

FieldCheck check_host_path(std::string_view path) {
  if (path.size() > kMaxPath) {
    return FieldProblem{quoted(path) + " is longer than a path may be (4095 bytes)",
                        "use a shorter path"};
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (end - start > kMaxPathComponent) {
      return FieldProblem{quoted(path) + " has a component longer than a file name may be (" +
                              std::to_string(kMaxPathComponent) +
                              " bytes): " + quoted(path.substr(start, end - start)),
                          "use shorter directory names"};
    }
    start = end + 1;
  }
  return std::nullopt;
}

FieldCheck check_apt_package(const std::string& package) {
  static const std::regex kPackage("[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?");
  if (std::regex_match(package, kPackage)) return std::nullopt;
  return FieldProblem{quoted(std::string_view(package)) + " is not a Debian package name",
                      "write the name as apt-get takes it, e.g. \"libsndfile1\", or pin a "
                      "version: \"libsndfile1=1.2.0-1\"; one package per item"};
}

FieldCheck check_pip_requirement(const std::string& requirement) {
  if (requirement.empty() || std::isspace(static_cast<unsigned char>(requirement.front()))) {
    return FieldProblem{quoted(std::string_view(requirement)) + " is not a requirement",
                        "write one requirement per item, e.g. \"transformers==4.44.2\""};
  }
  if (requirement.find('\n') != std::string::npos) {
    return FieldProblem{quoted(std::string_view(requirement)) + " holds more than one line",
                        "give each requirement its own item"};
  }
  if (requirement.front() == '-') {
    return FieldProblem{
        quoted(std::string_view(requirement)) + " is a pip option, not a requirement",
        "set pip's options as variables in \"build.env\", e.g. \"PIP_INDEX_URL\" or "
        "\"PIP_EXTRA_INDEX_URL\"; or put them in the \"requirements\" file"};
  }
  return std::nullopt;
}

bool is_build_proxy_variable(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kProxies{
      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return std::find(kProxies.begin(), kProxies.end(), name) != kProxies.end();
}

std::expected<std::chrono::seconds, FieldProblem> read_duration(std::string_view text) {
  if (auto duration = parse_duration(text)) return *duration;
  return std::unexpected(FieldProblem{
      quoted(text) + " is not a duration",
      "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", \"1h30m\", "
      "\"90s\""});
}

std::string_view pull_policy_name(PullPolicy policy) {
  return spec_words(SpecWords::pull)[static_cast<std::size_t>(policy)];
}

namespace {

// `text` as the C++ enum `Word` whose values are `field`'s words in order; else an unknown
// `what`, with the closest word and all of them.
template <typename Word>
std::expected<Word, FieldProblem> read_word(std::string_view text, SpecWords field,
                                            std::string_view what) {
  const auto words = spec_words(field);
  const auto found = std::find(words.begin(), words.end(), text);
  if (found != words.end()) return static_cast<Word>(found - words.begin());
  const auto suggestion = closest_match(text, words);
  return std::unexpected(FieldProblem{
      "unknown " + std::string(what) + " " + quoted(text),
      (suggestion ? "did you mean \"" + std::string(*suggestion) + "\"? " : std::string{}) +
          "use one of: " + join_names(words)});
}

}  // namespace

std::expected<PullPolicy, FieldProblem> read_pull_policy(std::string_view text) {
  return read_word<PullPolicy>(text, SpecWords::pull, "pull policy");
}

std::string_view gpu_path_name(GpuPath path) {
  return spec_words(SpecWords::gpu_path)[static_cast<std::size_t>(path)];
}

std::expected<GpuPath, FieldProblem> parse_gpu_path(std::string_view text) {
  return read_word<GpuPath>(text, SpecWords::gpu_path, "GPU path");
}

}  // namespace dlrun::jobspec
