#include "dlrun/run/host/engine_profile.hpp"

#include <algorithm>

namespace dlrun::run {

std::string machine_name(std::string_view architecture) {
  if (architecture == "amd64") return "x86_64";
  if (architecture == "arm64") return "aarch64";
  return std::string(architecture);
}

std::string EngineProfile::name() const {
  return identity().name();
}

std::optional<Version> EngineProfile::version_number() const {
  return Version::parse(
      std::string_view(version).substr(0, version.find_first_not_of("0123456789.")));
}

bool EngineProfile::drops_requested_limits() const {
  if (product != EngineProduct::podman || !rootless) return false;
  const auto number = version_number();
  return !number || *number < Version({5, 5});
}

bool EngineProfile::has_log_driver(std::string_view driver) const {
  return std::find(log_drivers.begin(), log_drivers.end(), driver) != log_drivers.end();
}

EngineProfile engine_profile(const engine::EngineVersion& version, const engine::EngineInfo& info) {
  EngineProfile profile;
  profile.product = version.product.find("Podman") != std::string::npos ? EngineProduct::podman
                                                                        : EngineProduct::docker;
  profile.version = version.version.empty() ? info.server_version : version.version;
  profile.api_version = version.api_version;
  profile.architecture =
      machine_name(info.architecture.empty() ? version.architecture : info.architecture);
  profile.rootless = info.rootless;
  profile.cgroup_driver = info.cgroup_driver;
  profile.cgroup_version = info.cgroup_version;
  profile.log_drivers = info.log_drivers;
  profile.init_binary = info.init_binary;
  profile.cdi_spec_dirs = info.cdi_spec_dirs;
  if (profile.product == EngineProduct::podman && !info.cdi_spec_dirs_listed)
    profile.cdi_spec_dirs = {"/etc/cdi", "/var/run/cdi"};
  profile.nvidia_runtime =
      std::find(info.runtimes.begin(), info.runtimes.end(), "nvidia") != info.runtimes.end();
  return profile;
}

Result<EngineProfile> learn_engine(engine::EngineClient& client) {
  auto version = client.version();
  if (!version) return std::unexpected(version.error());
  auto info = client.info();
  if (!info) return std::unexpected(info.error());
  return engine_profile(*version, *info);
}

}  // namespace dlrun::run
