#include "dlrun/resolve/require_cuda.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include "dlrun/text.hpp"

namespace dlrun::resolve {
namespace {

bool parse_bool(std::string_view text) {
  // Go's strconv.ParseBool, which the toolkit uses.
  static constexpr std::array<std::string_view, 6> kTrue{"1", "t", "T", "TRUE", "true", "True"};
  return std::find(kTrue.begin(), kTrue.end(), text) != kTrue.end();
}

struct Condition {
  std::string property;
  std::string op;
  std::string value;
};

std::optional<Condition> parse_condition(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kOperators{">=", "<=", "!=", "=", ">", "<"};
  for (std::size_t at = 0; at < text.size(); ++at) {
    for (const auto op : kOperators) {
      if (text.substr(at, op.size()) == op && at > 0) {
        Condition condition{lowercase(text.substr(0, at)), std::string(op),
                            std::string(text.substr(at + op.size()))};
        if (condition.value.empty()) return std::nullopt;
        return condition;
      }
    }
  }
  return std::nullopt;
}

bool compare(std::strong_ordering order, const std::string& op) {
  if (op == "=") return order == 0;
  if (op == "!=") return order != 0;
  if (op == ">=") return order >= 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  return order < 0;
}

// One condition against the host and one GPU (or none). Errors: a bad value or operator.
Result<bool> holds(const Condition& condition, const HostFacts& host, const GpuFacts* gpu) {
  const auto version_holds = [&](const std::optional<Version>& actual) -> Result<bool> {
    auto wanted = Version::parse(condition.value);
    if (!wanted) return fail(ErrorKind::usage, "\"" + condition.value + "\" is not a version");
    if (!actual) return true;  // the toolkit lets unknown values pass
    return compare(*actual <=> *wanted, condition.op);
  };
  if (condition.property == "cuda") return version_holds(host.cuda_driver);
  if (condition.property == "driver") return version_holds(host.driver);
  if (condition.property == "arch") {
    if (gpu == nullptr) return true;
    return version_holds(gpu->compute_capability);
  }
  if (condition.property == "brand") {
    if (condition.op != "=" && condition.op != "!=")
      return fail(ErrorKind::usage, "brand takes = or != only");
    if (gpu == nullptr || gpu->brand.empty()) return true;
    const bool same = lowercase(gpu->brand) == lowercase(condition.value);
    return condition.op == "=" ? same : !same;
  }
  return fail(ErrorKind::usage, "unknown property \"" + condition.property + "\"");
}

}  // namespace

std::vector<std::string> image_requirements(const std::vector<std::string>& env) {
  std::vector<std::string> requirements;
  std::optional<std::string> cuda_version;
  bool disabled = false;
  for (const auto& entry : env) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos) continue;
    const std::string_view name(entry.data(), equals);
    const std::string_view value = std::string_view(entry).substr(equals + 1);
    if (name == "NVIDIA_DISABLE_REQUIRE") disabled = parse_bool(value);
    if (name == "CUDA_VERSION") cuda_version = std::string(value);
    if (name.starts_with("NVIDIA_REQUIRE_") && name != "NVIDIA_REQUIRE_JETPACK" && !value.empty()) {
      requirements.emplace_back(value);
    }
  }
  if (disabled) return {};
  if (requirements.empty() && cuda_version) {
    if (auto version = Version::parse(*cuda_version))
      requirements.push_back("cuda>=" + version->prefix(2).to_string());
  }
  return requirements;
}

Result<std::optional<RequirementFailure>> check_requirement(std::string_view requirement,
                                                            const HostFacts& host) {
  std::vector<std::vector<Condition>> terms;
  std::istringstream words{std::string(requirement)};
  std::string term_text;
  while (words >> term_text) {
    std::vector<Condition> term;
    std::istringstream conditions(term_text);
    std::string condition_text;
    while (std::getline(conditions, condition_text, ',')) {
      auto condition = parse_condition(condition_text);
      if (!condition) {
        return fail(ErrorKind::usage,
                    "the image's requirement \"" + std::string(requirement) +
                        "\" has a condition the NVIDIA toolkit cannot read: " + condition_text);
      }
      term.push_back(*condition);
    }
    terms.push_back(std::move(term));
  }
  if (terms.empty()) return std::nullopt;

  std::vector<const GpuFacts*> gpus;
  gpus.reserve(host.gpus.size() + 1);
  for (const auto& gpu : host.gpus) gpus.push_back(&gpu);
  if (gpus.empty()) gpus.push_back(nullptr);
  for (const GpuFacts* gpu : gpus) {
    bool any_term = false;
    for (const auto& term : terms) {
      bool all = true;
      for (const auto& condition : term) {
        auto ok = holds(condition, host, gpu);
        if (!ok) {
          return fail(ErrorKind::usage, "the image's requirement \"" + std::string(requirement) +
                                            "\" cannot be evaluated: " + ok.error().message);
        }
        all = all && *ok;
      }
      any_term = any_term || all;
    }
    if (!any_term) {
      std::istringstream first(std::string{requirement});
      std::string first_term;
      first >> first_term;
      return std::optional<RequirementFailure>(
          RequirementFailure{std::string(requirement), first_term});
    }
  }
  return std::nullopt;
}

}  // namespace dlrun::resolve
