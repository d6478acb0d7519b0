#include "dlrun/resolve/host_facts.hpp"

#include <charconv>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <vector>

#include "dlrun/resolve/nvml.hpp"

namespace dlrun::resolve {

std::string nvml_library(const EnvLookup& env) {
  auto chosen = env("DLRUN_NVML_LIBRARY");
  return chosen && !chosen->empty() ? *chosen : std::string(kNvmlLibrary);
}

std::optional<Version> parse_proc_driver_version(std::string_view text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024"
  // (open kernel modules say "NVIDIA UNIX Open Kernel Module for x86_64  …").
  static const std::regex kLine(
      R"(NVRM version:.*Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+))");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(text.begin(), text.end(), match, kLine)) return std::nullopt;
  return Version::parse(
      std::string_view(&*match[1].first, static_cast<std::size_t>(match[1].length())));
}

HostFactsOverrides overrides_from_environment(HostFactsOverrides flags, const EnvLookup& env) {
  if (!flags.driver_version) {
    if (auto driver = env("DLRUN_DRIVER_VERSION"); driver && !driver->empty()) {
      flags.driver_version = driver;
    }
  }
  if (flags.gpu_archs.empty()) {
    if (auto archs = env("DLRUN_GPU_ARCH"); archs && !archs->empty()) {
      std::stringstream list(*archs);
      std::string arch;
      while (std::getline(list, arch, ',')) {
        if (!arch.empty()) flags.gpu_archs.push_back(arch);
      }
    }
  }
  return flags;
}

std::optional<HostFacts> parse_nvidia_smi_csv(std::string_view text) {
  HostFacts facts;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) {
      const auto begin = cell.find_first_not_of(' ');
      const auto end = cell.find_last_not_of(" \r");
      fields.push_back(begin == std::string::npos ? "" : cell.substr(begin, end - begin + 1));
    }
    if (fields.size() != 6) continue;
    const auto driver = Version::parse(fields[0]);
    if (!driver) continue;
    facts.driver = driver;
    GpuFacts gpu;
    // A number that is not one, or a memory no GPU has, is left unknown: 0.
    std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), gpu.index);
    gpu.uuid = fields[2];
    gpu.name = fields[3];
    std::int64_t mib = 0;
    std::from_chars(fields[4].data(), fields[4].data() + fields[4].size(), mib);
    constexpr std::int64_t kMiB = std::int64_t{1024} * 1024;
    if (mib > 0 && mib <= std::numeric_limits<std::int64_t>::max() / kMiB)
      gpu.memory_bytes = mib * kMiB;
    gpu.compute_capability = Version::parse(fields[5]);
    facts.gpus.push_back(std::move(gpu));
  }
  if (!facts.driver) return std::nullopt;
  facts.origin = "nvidia-smi over ssh";
  return facts;
}

Result<HostFacts> read_host_facts(const HostFactsOverrides& overrides, const Catalog& catalog,
                                  const std::filesystem::path& proc_root,
                                  const std::string& nvml_path) {
  HostFacts facts;
  if (overrides.driver_version) {
    facts.driver = Version::parse(*overrides.driver_version);
    if (!facts.driver) {
      return fail(ErrorKind::usage,
                  "--driver-version \"" + *overrides.driver_version + "\" is not a driver version",
                  "write it as nvidia-smi shows it, e.g. 550.54.14");
    }
    facts.origin = "--driver-version";
  } else if (auto nvml = read_nvml(nvml_path); nvml.facts) {
    facts = std::move(*nvml.facts);
  } else {
    const std::ifstream in(proc_root / "driver/nvidia/version");
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      facts.driver = parse_proc_driver_version(text.str());
      if (facts.driver) facts.origin = (proc_root / "driver/nvidia/version").string();
    }
    if (!facts.driver) facts.unknown_because = nvml.why_not;
  }
  if (facts.driver && !facts.cuda_driver)
    facts.cuda_driver = catalog.cuda_for_driver(*facts.driver);
  if (!overrides.gpu_archs.empty()) facts.gpus.clear();  // told beats seen
  for (std::size_t i = 0; i < overrides.gpu_archs.size(); ++i) {
    auto arch = parse_gpu_arch(overrides.gpu_archs[i]);
    if (!arch) {
      return fail(ErrorKind::usage,
                  "--gpu-arch \"" + overrides.gpu_archs[i] + "\" is not a GPU architecture",
                  "write sm_XY (sm_80 for A100, sm_90 for H100, sm_120 for RTX 50xx) or the "
                  "compute capability, 9.0");
    }
    facts.gpus.push_back({static_cast<int>(i), "", "", "", arch, 0});
  }
  return facts;
}

}  // namespace dlrun::resolve
