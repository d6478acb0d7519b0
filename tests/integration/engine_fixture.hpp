#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"

namespace dlrun::testing {

// The private engines started by tests/harness/engine.sh (a ctest fixture).
struct TestEngine {
  std::filesystem::path dir;
  std::string gpu_host() const { return "unix://" + (dir / "gpu/docker.sock").string(); }
  std::string plain_host() const { return "unix://" + (dir / "plain/docker.sock").string(); }
  // Podman 4.3's Docker-compatible service, as restricted as the others.
  std::string podman_host() const { return "unix://" + (dir / "podman/podman.sock").string(); }
  // The same Podman run by an ordinary user (kRootlessUser), rootless: dlrun talks to it as
  // that user.
  std::string rootless_podman_host() const {
    return "unix://" + (dir / "podman-rootless/podman.sock").string();
  }
  // Debian 13's Docker 26 with CDI on, and Podman 5: both read the fake NVIDIA GPUs' CDI spec
  // in cdi_specs().
  std::string cdi_host() const { return "unix://" + (dir / "cdi/docker.sock").string(); }
  std::string podman5_host() const { return "unix://" + (dir / "podman5/podman.sock").string(); }
  std::filesystem::path cdi_specs() const { return dir / "cdi-specs"; }
  std::filesystem::path hook_calls() const { return dir / "gpu/hook-calls"; }
  // The plain engine on TCP with TLS and client certificates, and a DOCKER_CERT_PATH for it.
  std::string tls_host() const;
  std::filesystem::path tls_client_certs() const { return dir / "plain/tls/client"; }
  // The plain engine through the test sshd (ssh://root@127.0.0.1:PORT/socket); `ssh_path()`
  // holds an ssh with the test's key, to put first on PATH.
  std::string ssh_host() const;
  // The same without a socket, as the docker CLI names it: the sessions' DOCKER_HOST names the
  // plain engine; and on the sshd's port that refuses to forward Unix sockets.
  std::string ssh_host_without_socket() const;
  std::string ssh_host_refusing_forwards() const;
  std::filesystem::path ssh_path() const { return dir / "sshd/bin"; }
  // One line per `docker system dial-stdio` run there (one per connection that needs it).
  std::filesystem::path dial_stdio_log() const { return dir / "sshd/dial-stdio.log"; }
  // The test registry (htpasswd auth) and its one account.
  std::string registry() const;
  std::string registry_user() const;
  std::string registry_password() const;
  // What the build tests reach on the fixture's 127.0.0.1 (with "build.network": "host"): an
  // HTTP proxy to this machine's Debian mirror, and a pip index with dlrun-probe 1.0 and 2.0.
  std::string archive_proxy() const;
  std::string package_index() const;
  // The one-node Slurm cluster (four fake GPUs) that srun, sbatch and squeue reach with it.
  std::filesystem::path slurm_conf() const { return dir / "slurm/slurm.conf"; }

  // Null when the engines are not there (the test main then skips, or fails in CI).
  static const TestEngine* find();
};

// An engine the core job tests run on: each such test runs once on every one (Catch2's
// GENERATE), and says which failed.
struct EngineUnderTest {
  std::string name;  // "docker-hook", "docker-cdi", "podman"
  std::string host;  // its DOCKER_HOST
};
// Docker 20.10 with the NVIDIA hook's stand-in, Docker 26 with CDI, and Podman 4.3.
std::vector<EngineUnderTest> engines_under_test();

inline constexpr const char* kTestImage = "dlrun-test/busybox:1";

// How many times `what` occurs in `text` (a warning said once, and no more).
std::size_t occurrences(const std::string& text, std::string_view what);
// Who runs the rootless Podman (tests/harness/engine.sh).
inline constexpr uid_t kRootlessUser = 4600;
// Debian bookworm with apt and python3-pip, on the GPU engine, for the build tests.
inline constexpr const char* kDebianImage = "dlrun-test/debian:1";

// One test's scratch directory, spec files and a label that tells its containers apart from
// those of tests running beside it.
class JobFixture {
 public:
  JobFixture();
  // A test of one engine of the table: dlrun() runs against it unless told otherwise.
  explicit JobFixture(EngineUnderTest on);
  ~JobFixture();
  JobFixture(const JobFixture&) = delete;
  JobFixture& operator=(const JobFixture&) = delete;

  const TestEngine& engine() const { return *engine_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& run_label() const { return run_label_; }

  // Writes a spec as a user would: the test image and this test's label, with `fields` merged
  // over it, and nothing tuned. Returns its path.
  std::string write_spec(const nlohmann::json& fields, const std::string& file = "job.json") const;

  // Runs dlrun against `host` (the engine under test, or the GPU engine, unless told otherwise).
  ProcessResult dlrun(std::vector<std::string> args, Invocation extra = {},
                      const std::string& host = "") const;

  // Containers carrying this test's label, on every engine: must be none after every run.
  std::vector<std::string> leftover_containers() const;

 private:
  const TestEngine* engine_;
  std::filesystem::path dir_;
  std::string run_label_;
  std::string host_;  // the engine under test; empty: the GPU engine
};

// Sends `signo` to dlrun once the job has printed "started"; again `times - 1` times after dlrun
// says a second Ctrl-C would kill (the stop's grace period).
Invocation signal_when_started(int signo, int times = 1);

}  // namespace dlrun::testing
