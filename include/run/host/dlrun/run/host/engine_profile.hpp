#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlrun/engine/client.hpp"
#include "dlrun/error.hpp"
#include "dlrun/version_number.hpp"

// What the engine at the other end is and can do, in one place: the plan, the dry run, doctor
// and the messages read it here, never the product's name.
namespace dlrun::run {

using engine::EngineProduct;

struct EngineProfile {
  EngineProduct product = EngineProduct::docker;
  std::string version;       // the product's own: "20.10.24", "4.3.1"
  std::string api_version;   // the Docker API it serves: "1.41"
  std::string architecture;  // as uname -m says it, whatever the engine's words: x86_64, aarch64
  bool rootless = false;
  std::string cgroup_driver;   // "systemd", "cgroupfs"
  std::string cgroup_version;  // "1", "2"
  std::vector<std::string> log_drivers;
  std::string init_binary;  // empty: the engine has none to give
  // Where the engine reads CDI specs: Docker 25+ says so (empty while CDI is off); Podman
  // always reads /etc/cdi and /var/run/cdi.
  std::vector<std::string> cdi_spec_dirs;
  bool nvidia_runtime = false;  // a runtime named "nvidia" (NVIDIA's legacy runtime) is set up

  // "Docker 20.10.24", "Podman 4.3.1": how messages name it.
  std::string name() const;
  engine::EngineIdentity identity() const { return {product, version}; }
  // Its version by the numbers alone (Debian's "20.10.24+dfsg1" is 20.10.24); nullopt: unsaid.
  std::optional<Version> version_number() const;
  // Whether the limits a container request asks for (HostConfig.Ulimits) reach the container:
  // rootless Podman's Docker API drops them before 5.5 (podman#25881), so the job has the
  // user's own limits whatever the request says.
  bool drops_requested_limits() const;
  // Whether a container's memory, CPU and process limits are enforced: a rootless engine on
  // cgroup v1 has no cgroup of its own to set them in, and Podman then ignores them, silently
  // through its Docker API.
  bool enforces_resource_limits() const { return !(rootless && cgroup_version == "1"); }
  bool has_log_driver(std::string_view driver) const;
};

// The same machine in the words of uname -m (x86_64, aarch64) and of Go (amd64, arm64).
std::string machine_name(std::string_view architecture);

// The profile an engine's /version and /info answers describe.
EngineProfile engine_profile(const engine::EngineVersion& version, const engine::EngineInfo& info);

// Asks the engine (two requests).
Result<EngineProfile> learn_engine(engine::EngineClient& client);

}  // namespace dlrun::run
