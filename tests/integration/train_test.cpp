// dlrun train against a real Docker Engine: output, exit codes, outputs, sandbox defaults.
#include <openssl/evp.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

using nlohmann::json;

std::string sha256_of_seq(long last) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(hash.get(), EVP_sha256(), nullptr);
  std::string chunk;
  for (long i = 1; i <= last; ++i) {
    chunk += std::to_string(i);
    chunk += '\n';
    if (chunk.size() > (1 << 20)) {
      EVP_DigestUpdate(hash.get(), chunk.data(), chunk.size());
      chunk.clear();
    }
  }
  EVP_DigestUpdate(hash.get(), chunk.data(), chunk.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(hash.get(), digest, &length);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

TEST_CASE("a hello job runs and leaves nothing behind", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const auto result =
      job.dlrun({"train", job.write_spec({{"command", {"echo", "hello from dlrun"}}})});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "hello from dlrun\n");
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("the job's exit code is dlrun's exit code", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  for (const int code : {0, 1, 42}) {
    const auto result =
        job.dlrun({"train", job.write_spec({{"command", "exit " + std::to_string(code)}})});
    INFO(result.err);
    CHECK(result.exit_code == code);
  }
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("stdout and stderr stay separate and in order", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const auto result = job.dlrun(
      {"train", "-q",
       job.write_spec(
           {{"command", "echo out1; echo err1 >&2; echo out2; printf 'err2 no newline' >&2"}})});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "out1\nout2\n");
  CHECK(result.err == "err1\nerr2 no newline");
}

TEST_CASE("200 MB of output arrive without losing a byte", "[engine][large]") {
  JobFixture job;
  constexpr long kLast = 24'000'000;  // `seq 1 24000000` prints 204,888,897 bytes
  Invocation hashed;
  hashed.hash_stdout = true;
  hashed.limit = std::chrono::seconds(300);
  const auto result = job.dlrun(
      {"train", "-q", job.write_spec({{"command", {"seq", "1", std::to_string(kLast)}}})}, hashed);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out_bytes == 204'888'897);
  CHECK(result.out_sha256 == sha256_of_seq(kLast));
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("an out-of-memory kill is reported as such and exits 137", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const auto result =
      job.dlrun({"train", job.write_spec({
                              {"command", "head -c 200000000 /dev/zero | tail > /dev/null"},
                              {"resources", {{"memory", "16m"}}},
                          })});
  CHECK(result.exit_code == 137);
  // Podman 4.3 on cgroup v1 records no OOM kill (neither State.OOMKilled nor an event): dlrun
  // says what it knows.
  CHECK(result.err.find(on.name == "podman"
                            ? "dlrun: error: the job was killed (SIGKILL); the daemon recorded no "
                              "out-of-memory kill"
                            : "dlrun: error: killed: out of memory (limit 16m)") !=
        std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("outputs are created and owned by the invoking user", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  constexpr uid_t kUser = 4242;
  std::filesystem::permissions(job.dir(), std::filesystem::perms::all);  // the user must write here
  Invocation as_user;
  as_user.uid = kUser;
  const auto result = job.dlrun(
      {"train",
       job.write_spec({
           {"user", "host"},
           {"outputs", "./results/run1"},
           {"command",
            "id -u; echo model > /outputs/model.pt; touch $HOME/.cache-test && echo home ok"},
       })},
      as_user);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == "4242\nhome ok\n");
  struct stat info {};
  REQUIRE(stat((job.dir() / "results/run1").c_str(), &info) == 0);
  CHECK(info.st_uid == kUser);
  REQUIRE(stat((job.dir() / "results/run1/model.pt").c_str(), &info) == 0);
  CHECK(info.st_uid == kUser);
  CHECK(info.st_gid == kUser);
}

TEST_CASE("the container runs sandboxed with deep-learning defaults", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const auto result = job.dlrun({"train", "-q",
                                 job.write_spec({
                                     {"resources", {{"shm_size", "256m"}, {"pids", 100}}},
                                     {"command",
                                      "grep CapEff /proc/self/status; grep NoNewPrivs "
                                      "/proc/self/status; df -k /dev/shm | tail -1 | "
                                      "awk '{print \"shm\", $2}'; ulimit -s; ulimit -l; cat "
                                      "/proc/1/comm; cat /sys/fs/cgroup/pids/pids.max "
                                      "2>/dev/null || cat /sys/fs/cgroup/pids.max"},
                                 })});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // Both engines are restricted (no CAP_SYS_RESOURCE, an 8 MiB memlock limit): dlrun gives way
  // on memlock; Podman, which adds limits of its own to any asked for, on every limit.
  const bool podman = on.name == "podman";
  CHECK(result.out == std::string("CapEff:\t0000000000000000\n"
                                  "NoNewPrivs:\t1\n"
                                  "shm 262144\n") +
                          (podman ? "8192\n" : "65536\n") + "8192\n" +
                          (podman ? "podman-init\n" : "docker-init\n") + "100\n");
}

TEST_CASE("mount sources must exist, and unsafe ones are refused before anything is created",
          "[engine]") {
  JobFixture job;
  const auto missing = job.dlrun(
      {"train",
       job.write_spec({{"mounts", {{{"source", "./no-such-data"}, {"target", "/data"}}}}})});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("mounts[0].source: " + (job.dir() / "no-such-data").string() +
                         " does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(job.dir() / "no-such-data"));

  const auto unsafe = job.dlrun(
      {"train", job.write_spec({{"mounts", {{{"source", "/etc"}, {"target", "/host-etc"}}}}})});
  CHECK(unsafe.exit_code == 2);
  CHECK(unsafe.err.find("refusing to mount /etc") != std::string::npos);
  CHECK(unsafe.err.find("--allow-unsafe-mounts") != std::string::npos);

  const std::string socket_dir = job.engine().dir.string();
  const auto socket = job.dlrun(
      {"train", job.write_spec({{"mounts", {{{"source", socket_dir}, {"target", "/d"}}}}})});
  CHECK(socket.exit_code == 2);
  CHECK(socket.err.find("exposes the Docker socket") != std::string::npos);

  const auto allowed = job.dlrun(
      {"train", "--allow-unsafe-mounts",
       job.write_spec(
           {{"mounts", {{{"source", "/etc"}, {"target", "/host-etc"}, {"read_only", true}}}},
            {"command", "test -f /host-etc/passwd && echo mounted"}})});
  CHECK(allowed.exit_code == 0);
  CHECK(allowed.out == "mounted\n");
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("secrets reach the job but never the dry-run or the debug log",
          "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const std::string spec =
      job.write_spec({{"env", {{"API_KEY", {{"from_env", "DLRUN_TEST_SECRET"}}}}},
                      {"command", "test ${#API_KEY} = 14 && echo got it"}});
  Invocation with_secret;
  with_secret.env["DLRUN_TEST_SECRET"] = "hunter2-secret";

  const auto dry = job.dlrun({"train", "--dry-run", spec}, with_secret);
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("hunter2") == std::string::npos);
  CHECK(dry.out.find("API_KEY=********") != std::string::npos);
  CHECK(dry.out.find("-e API_KEY=\"$DLRUN_TEST_SECRET\"") != std::string::npos);

  const auto run = job.dlrun({"train", "--log-level", "debug", spec}, with_secret);
  CHECK(run.exit_code == 0);
  CHECK(run.out == "got it\n");
  CHECK(run.err.find("hunter2") == std::string::npos);

  Invocation without;
  without.unset_env = {"DLRUN_TEST_SECRET"};
  const auto unset = job.dlrun({"train", spec}, without);
  CHECK(unset.exit_code == 2);
  CHECK(unset.err.find(
            "env.API_KEY comes from the host variable DLRUN_TEST_SECRET, which is not set") !=
        std::string::npos);
}

TEST_CASE("a dry run without an engine prints the plan and says what it could not know",
          "[engine]") {
  JobFixture job;
  const auto result = job.dlrun({"train", "--dry-run", job.write_spec({{"command", {"true"}}})}, {},
                                "unix:///nonexistent/docker.sock");
  CHECK(result.exit_code == 0);
  CHECK(
      result.out.starts_with("image: dlrun-test/busybox:1\npull: missing\n\ncreate request: POST "
                             "/containers/create?name=dlrun-job-"));
  CHECK(result.out.find("equivalent docker command:\ndocker run --rm") != std::string::npos);
  CHECK(result.out.find("\nthe engine at unix:///nonexistent/docker.sock did not answer (") !=
        std::string::npos);
}

TEST_CASE("a dry run on the engine shows the deadline around the image's own entrypoint",
          "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  // The test image has no entrypoint and runs sh: the deadline runs the image's CMD.
  const auto result = job.dlrun({"train", "--dry-run", job.write_spec({{"timeout", "2m"}})});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  const auto body = nlohmann::json::parse(result.out.substr(
      result.out.find("{\n"), result.out.find("\n}\n") + 2 - result.out.find("{\n")));
  CHECK(body["Entrypoint"] == nlohmann::json::parse(R"(["/.dlrun/timeout", "120", "10", "--"])"));
  CHECK(body["Cmd"] == nlohmann::json::parse(R"(["sh"])"));
  CHECK(result.out.find("not on the engine yet") == std::string::npos);
}

TEST_CASE("command-line overrides reach the container", "[engine][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const auto result =
      job.dlrun({"train", "-q", job.write_spec({{"command", {"sh", "-c", "echo $GREETING $0 $1"}}}),
                 "--env", "GREETING=hi", "--", "a", "b"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "hi a b\n");
}

}  // namespace dlrun::testing
