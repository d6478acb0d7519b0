#include "dlrun/run/host/engine_profile.hpp"

#include <catch2/catch.hpp>

namespace dlrun::run {

TEST_CASE("the engine's profile names it as it is and speaks uname's machine words",
          "[run][engine]") {
  // Debian 12's docker.io, as its /version and /info answer.
  const engine::EngineVersion docker_version{.product = "Engine",
                                             .version = "20.10.24+dfsg1",
                                             .api_version = "1.41",
                                             .architecture = "amd64"};
  engine::EngineInfo docker_info;
  docker_info.server_version = "20.10.24+dfsg1";
  docker_info.architecture = "x86_64";
  docker_info.security_options = {"name=seccomp,profile=default", "name=cgroupns"};
  docker_info.runtimes = {"io.containerd.runc.v2", "runc", "nvidia"};
  docker_info.log_drivers = {"awslogs", "json-file", "local", "none"};
  docker_info.init_binary = "docker-init";
  const EngineProfile docker = engine_profile(docker_version, docker_info);
  CHECK(docker.product == EngineProduct::docker);
  CHECK(docker.name() == "Docker 20.10.24+dfsg1");
  CHECK(docker.architecture == "x86_64");
  CHECK_FALSE(docker.rootless);
  CHECK(docker.nvidia_runtime);
  CHECK(docker.has_log_driver("local"));
  CHECK(docker.cdi_spec_dirs.empty());  // Docker before 25 reads no CDI specs

  // Podman's compat API: its own component, Go's machine words, no `local` log driver, and the
  // CDI directories it always reads.
  const engine::EngineVersion podman_version{.product = "Podman Engine",
                                             .version = "4.3.1",
                                             .api_version = "1.41",
                                             .architecture = "amd64"};
  engine::EngineInfo podman_info;
  podman_info.architecture = "amd64";
  podman_info.security_options = {"name=seccomp,profile=default"};
  podman_info.rootless = true;
  podman_info.log_drivers = {"k8s-file", "journald", "none"};
  const EngineProfile podman = engine_profile(podman_version, podman_info);
  CHECK(podman.product == EngineProduct::podman);
  CHECK(podman.name() == "Podman 4.3.1");
  CHECK(podman.architecture == "x86_64");
  CHECK(podman.rootless);
  CHECK_FALSE(podman.has_log_driver("local"));
  CHECK(podman.cdi_spec_dirs == std::vector<std::string>{"/etc/cdi", "/var/run/cdi"});

  CHECK(machine_name("arm64") == "aarch64");
  CHECK(machine_name("s390x") == "s390x");
}

}  // namespace dlrun::run
