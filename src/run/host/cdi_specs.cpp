#include "dlrun/run/host/cdi_specs.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dlrun::run {

std::vector<std::string> cdi_devices_in(std::string_view kind, const std::string& spec_text) {
  std::vector<std::string> names;
  try {
    const YAML::Node spec = YAML::Load(spec_text);
    if (!spec.IsMap() || !spec["kind"] || spec["kind"].as<std::string>() != kind) return names;
    const YAML::Node devices = spec["devices"];
    if (!devices || !devices.IsSequence()) return names;
    for (const auto& device : devices) {
      if (device.IsMap() && device["name"] && device["name"].IsScalar()) {
        names.push_back(device["name"].as<std::string>());
      }
    }
  } catch (const YAML::Exception& error) {
    spdlog::debug("CDI spec not read: {}", error.what());
    names.clear();
  }
  return names;
}

std::vector<std::string> cdi_devices_of(std::string_view kind,
                                        const std::vector<std::string>& dirs) {
  std::vector<std::string> names;
  for (const auto& dir : dirs) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      const auto extension = entry.path().extension();
      if (entry.is_regular_file(error) &&
          (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
        files.push_back(entry.path());
      }
    }
    // In name order, as the CDI registry reads a directory.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      for (auto& name : cdi_devices_in(kind, text.str())) {
        if (std::find(names.begin(), names.end(), name) == names.end())
          names.push_back(std::move(name));
      }
    }
  }
  return names;
}

std::optional<std::vector<std::string>> engine_cdi_devices(std::string_view kind,
                                                           const EngineProfile& engine,
                                                           bool local) {
  if (!local) return std::nullopt;
  auto names = cdi_devices_of(kind, engine.cdi_spec_dirs);
  if (names.empty() && engine.product == EngineProduct::podman) return std::nullopt;
  return names;
}

}  // namespace dlrun::run
