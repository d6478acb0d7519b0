// Finding the daemon as the docker CLI does: TCP with TLS and client certificates, by
// DOCKER_TLS_VERIFY/DOCKER_CERT_PATH and by a Docker context.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "dlrun/sha256.hpp"
#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

namespace fs = std::filesystem;

Invocation with_tls(const fs::path& cert_path) {
  Invocation invocation;
  invocation.env["DOCKER_TLS_VERIFY"] = "1";
  invocation.env["DOCKER_CERT_PATH"] = cert_path.string();
  return invocation;
}

// A docker CLI configuration with one context, filed as the CLI files it (under the SHA-256
// of its name), holding the TLS client files.
fs::path docker_config_with_context(const JobFixture& job, const std::string& name,
                                    const std::string& current) {
  const fs::path config = job.dir() / "docker-config";
  const std::string key = sha256_digest(name).substr(7);
  fs::create_directories(config / "contexts/meta" / key);
  std::ofstream(config / "contexts/meta" / key / "meta.json") << nlohmann::json{
      {"Name", name},
      {"Metadata", nlohmann::json::object()},
      {"Endpoints", {{"docker", {{"Host", job.engine().tls_host()}, {"SkipTLSVerify", false}}}}}};
  const fs::path tls = config / "contexts/tls" / key / "docker";
  fs::create_directories(tls);
  for (const char* file : {"ca.pem", "cert.pem", "key.pem"})
    fs::copy_file(job.engine().tls_client_certs() / file, tls / file);
  std::ofstream(config / "config.json") << nlohmann::json{{"currentContext", current}};
  return config;
}

}  // namespace

TEST_CASE("a daemon on TCP with TLS, by DOCKER_TLS_VERIFY and DOCKER_CERT_PATH",
          "[engine][daemon]") {
  JobFixture job;
  const std::string spec = job.write_spec({{"command", {"echo", "over TLS"}}});
  const auto ran = job.dlrun({"train", "-q", spec}, with_tls(job.engine().tls_client_certs()),
                             job.engine().tls_host());
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "over TLS\n");

  // Plain HTTP to it: the daemon says it wants TLS, and so does dlrun.
  const auto plain = job.dlrun({"train", spec}, {}, job.engine().tls_host());
  CHECK(plain.exit_code == 125);
  CHECK(plain.err.find("dlrun: error: the Docker daemon at " + job.engine().tls_host() +
                       " speaks TLS, and dlrun did not\nhint: set DOCKER_TLS_VERIFY=1") !=
        std::string::npos);

  // TLS without a client certificate: the handshake fails, and the hint says what is missing.
  const fs::path ca_only = job.dir() / "ca-only";
  fs::create_directories(ca_only);
  fs::copy_file(job.engine().tls_client_certs() / "ca.pem", ca_only / "ca.pem");
  const auto no_cert = job.dlrun({"train", spec}, with_tls(ca_only), job.engine().tls_host());
  INFO(no_cert.err);
  CHECK(no_cert.exit_code == 125);
  CHECK(no_cert.err.find("dlrun: error: the TLS handshake with the Docker daemon at https://") !=
        std::string::npos);
  CHECK(no_cert.err.find("hint: the daemon wants a client certificate") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a Docker context names the daemon and its TLS files", "[engine][daemon]") {
  JobFixture job;
  const std::string spec = job.write_spec({{"command", {"echo", "by context"}}});
  Invocation configured;
  configured.env["DOCKER_CONFIG"] = docker_config_with_context(job, "gpu-box", "gpu-box").string();

  // --context beats DOCKER_HOST (which the fixture sets to the GPU engine's socket).
  const auto by_flag = job.dlrun({"--context", "gpu-box", "train", "-q", spec}, configured);
  INFO(by_flag.err);
  CHECK(by_flag.exit_code == 0);
  CHECK(by_flag.out == "by context\n");

  // Without DOCKER_HOST, the current context (docker context use) is the daemon.
  configured.unset_env = {"DOCKER_HOST"};
  const auto current = job.dlrun({"train", "-q", spec}, configured);
  INFO(current.err);
  CHECK(current.exit_code == 0);
  CHECK(current.out == "by context\n");

  const auto missing = job.dlrun({"--context", "nowhere", "train", spec}, configured);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.starts_with(
      "dlrun: error: Docker context \"nowhere\" (--context) does not exist: no "));
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("a daemon behind ssh, as the docker CLI reaches it", "[engine][daemon]") {
  JobFixture job;
  Invocation through_ssh;
  through_ssh.env["PATH"] = job.engine().ssh_path().string() + ":" + std::getenv("PATH");
  // Where dlrun keeps its ssh master's socket: this test's own, to see it gone after.
  const auto runtime = job.dir() / "run";
  std::filesystem::create_directory(runtime);
  through_ssh.env["XDG_RUNTIME_DIR"] = runtime.string();
  const auto sshd_log = job.engine().dir / "sshd/sshd.log";
  const auto lines_with = [](const std::filesystem::path& file, std::string_view text) {
    std::ifstream log(file);
    std::size_t count = 0;
    for (std::string line; std::getline(log, line);)
      if (line.find(text) != std::string::npos) ++count;
    return count;
  };
  const auto logins = [&] { return lines_with(sshd_log, "Accepted publickey"); };
  const auto dial_stdios = [&] { return lines_with(job.engine().dial_stdio_log(), ""); };
  const std::string spec = job.write_spec({{"command", {"echo", "over ssh"}}});
  // An address with the socket; one without (the remote CLI's DOCKER_HOST is found there); and
  // an sshd that refuses to forward sockets, where the remote CLI carries each connection.
  for (const auto& [host, forwarded] :
       {std::pair{job.engine().ssh_host(), true},
        std::pair{job.engine().ssh_host_without_socket(), true},
        std::pair{job.engine().ssh_host_refusing_forwards(), false}}) {
    INFO(host);
    const std::size_t logins_before = logins();
    const std::size_t dial_stdios_before = dial_stdios();
    const auto ran = job.dlrun({"--log-level", "debug", "train", spec}, through_ssh, host);
    INFO(ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.out == "over ssh\n");
    // One key exchange for the whole job (the user's ssh config has no ControlMaster: dlrun's
    // own master carried every request), and the master is gone with dlrun.
    CHECK(logins() - logins_before == 1);
    CHECK(std::filesystem::is_empty(runtime));
    // Through the master's forward no remote process starts per connection; without it,
    // connections are kept open between requests (ping, create, start and remove share one).
    const std::size_t requests = occurrences(ran.err, "-> ");
    CHECK(requests >= 8);
    if (forwarded) {
      CHECK(dial_stdios() == dial_stdios_before);
    } else {
      CHECK((dial_stdios() - dial_stdios_before) * 2 <= requests);
    }
  }

  // Ctrl-C still stops and removes the job: the tunnels dlrun needs for that outlive it.
  Invocation interrupted = through_ssh;
  interrupted.on_output = [sent = std::make_shared<bool>(false)](pid_t pid, const std::string& out,
                                                                 const std::string&) {
    if (!*sent && out.find("started") != std::string::npos) {
      kill(pid, SIGINT);
      *sent = true;
    }
  };
  const auto stopped =
      job.dlrun({"train", job.write_spec({{"command", "echo started; sleep 300"}})}, interrupted,
                job.engine().ssh_host());
  INFO(stopped.err);
  CHECK(stopped.exit_code == 130);
  CHECK(job.leftover_containers().empty());

  // A remote daemon's mount sources are its host's paths: dlrun cannot look, the daemon says.
  const auto missing_source = job.dlrun(
      {"train",
       job.write_spec(
           {{"mounts", {{{"source", "/nonexistent/dlrun-remote-data"}, {"target", "/data"}}}}})},
      through_ssh, job.engine().ssh_host());
  INFO(missing_source.err);
  CHECK(missing_source.exit_code == 2);
  CHECK(missing_source.err.find("bind source path does not exist") != std::string::npos);
  CHECK(missing_source.err.find("hint: bind sources (and outputs) are paths on the Docker host "
                                "at " +
                                job.engine().ssh_host()) != std::string::npos);
  CHECK(job.leftover_containers().empty());

  // The GPUs of a Docker host behind ssh are read there, by nvidia-smi over the same ssh.
  nlohmann::json framework = {{"framework", {{"name", "pytorch"}, {"version", "2.5"}}}};
  framework["image"] = nullptr;
  const auto resolved = job.dlrun({"resolve", job.write_spec(framework, "framework.json")},
                                  through_ssh, job.engine().ssh_host());
  INFO(resolved.err);
  CHECK(resolved.exit_code == 0);
  CHECK(resolved.out ==
        "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime: the newest PyTorch image that fits this "
        "host (driver 550.54.14, sm_90, sm_89)\n");

  // doctor examines that host too.
  const auto doctor = job.dlrun({"doctor"}, through_ssh, job.engine().ssh_host());
  INFO(doctor.out);
  CHECK(doctor.out.find("ok    host driver            550.54.14, supports CUDA 12.4 (nvidia-smi "
                        "over ssh)\n") != std::string::npos);
  CHECK(doctor.out.find("ok    gpus                   0: NVIDIA H100 80GB HBM3 (sm_90") !=
        std::string::npos);

  // Nothing listening: ssh's own words, and what to check.
  const auto refused =
      job.dlrun({"train", spec}, through_ssh, "ssh://root@127.0.0.1:1/var/run/docker.sock");
  CHECK(refused.exit_code == 125);
  CHECK(refused.err.find("dlrun: error: cannot reach the Docker daemon over ssh at "
                         "ssh://root@127.0.0.1:1/var/run/docker.sock: ssh: connect to host "
                         "127.0.0.1 port 1: Connection refused") != std::string::npos);
  CHECK(
      refused.err.find("hint: check that `ssh 127.0.0.1 docker version` works without a prompt") !=
      std::string::npos);
}

}  // namespace dlrun::testing
