// Finding the daemon as the docker CLI does: TCP with TLS and client certificates, by
// DOCKER_TLS_VERIFY/DOCKER_CERT_PATH and by a Docker context.
#include <catch2/catch.hpp>
#include <fstream>

#include "dlrun/spec/digest.hpp"
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
  const std::string key = spec::sha256_digest(name).substr(7);
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
