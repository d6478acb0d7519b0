#include "dlrun/run/host/host_paths.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "dlrun/jobspec/parse.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "dlrun-unit-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

jobspec::JobSpec with_mount(const std::string& source, const fs::path& base = "/") {
  auto parsed = jobspec::parse_job_spec(R"({"version": 1, "image": "x", "mounts": [{"source": ")" +
                                            source + R"(", "target": "/m"}]})",
                                        base, "t");
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("a missing bind source is an error, never created", "[run][mounts]") {
  TempDir dir;
  auto checked =
      check_bind_sources(with_mount("./nope", dir.path), UnsafeMounts::refuse, DaemonHost{});
  REQUIRE_FALSE(checked);
  CHECK(checked.error().kind == ErrorKind::mount);
  CHECK(checked.error().message ==
        "mounts[0].source: " + (dir.path / "nope").string() + " does not exist");
  CHECK_FALSE(fs::exists(dir.path / "nope"));
  CHECK(exit_code_for(checked.error().kind) == exit_code::usage);

  fs::create_directory(dir.path / "data");
  CHECK(check_bind_sources(with_mount("./data", dir.path), UnsafeMounts::refuse, DaemonHost{})
            .has_value());
}

TEST_CASE("host system paths and the Docker socket are refused unless allowed", "[run][mounts]") {
  for (const std::string source :
       {"/", "/etc", "/etc/ssl", "/proc", "/sys", "/dev", "/var", "/run"}) {
    INFO(source);
    auto checked = check_bind_sources(with_mount(source), UnsafeMounts::refuse, DaemonHost{});
    REQUIRE_FALSE(checked);
    CHECK(checked.error().message.starts_with("mounts[0].source: refusing to mount "));
    CHECK(checked.error().hint ==
          "mount only the data the job needs; if you really mean it, pass --allow-unsafe-mounts");
    CHECK(check_bind_sources(with_mount(source), UnsafeMounts::allow, DaemonHost{}).has_value());
  }

  TempDir dir;
  std::ofstream(dir.path / "docker.sock") << "";
  auto socket = check_bind_sources(with_mount(dir.path.string()), UnsafeMounts::refuse,
                                   DaemonHost{true, (dir.path / "docker.sock").string()});
  REQUIRE_FALSE(socket);
  CHECK(socket.error().message ==
        "mounts[0].source: refusing to mount " + dir.path.string() + ": " + dir.path.string() +
            " exposes the Docker socket, which gives the job root on the host");
}

TEST_CASE("a symlink to a system directory is seen through", "[run][mounts]") {
  TempDir dir;
  fs::create_directory_symlink("/etc", dir.path / "innocent");
  auto checked =
      check_bind_sources(with_mount("./innocent", dir.path), UnsafeMounts::refuse, DaemonHost{});
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message.find("host system directory /etc") != std::string::npos);
}

TEST_CASE("an outputs directory a run created is removed when the run never used it",
          "[run][outputs]") {
  TempDir dir;
  const fs::path outputs = dir.path / "a" / "b" / "out";
  {
    auto prepared = OutputsDirectory::prepare(outputs);
    REQUIRE(prepared);
    CHECK(fs::is_directory(outputs));
  }
  CHECK_FALSE(fs::exists(dir.path / "a"));

  {
    auto prepared = OutputsDirectory::prepare(outputs);
    REQUIRE(prepared);
    prepared->keep();
  }
  CHECK(fs::is_directory(outputs));

  std::ofstream(dir.path / "file") << "x";
  auto not_dir = OutputsDirectory::prepare(dir.path / "file");
  REQUIRE_FALSE(not_dir);
  CHECK(not_dir.error().message ==
        "outputs: " + (dir.path / "file").string() + " exists and is not a directory");
}

}  // namespace dlrun::run

namespace dlrun::run {

TEST_CASE("a remote daemon's bind sources are its host's paths", "[run][mounts]") {
  const DaemonHost remote = daemon_host(*engine::parse_docker_host("ssh://gpu-box"));
  CHECK_FALSE(remote.local);
  CHECK(remote.docker_socket == "/var/run/docker.sock");
  // Not here, maybe there: the daemon decides.
  CHECK(
      check_bind_sources(with_mount("/data/imagenet-on-the-gpu-box"), UnsafeMounts::refuse, remote)
          .has_value());
  // Read as written, the unsafe ones are still refused.
  for (const char* source : {"/", "/etc/../etc", "/var/run/docker.sock", "/var/run"}) {
    INFO(source);
    auto checked = check_bind_sources(with_mount(source), UnsafeMounts::refuse, remote);
    CHECK_FALSE(checked.has_value());
  }
  CHECK(daemon_host(*engine::parse_docker_host("unix:///run/d.sock")).local);
  CHECK_FALSE(daemon_host(*engine::parse_docker_host("tcp://gpu-box:2376")).local);
}

}  // namespace dlrun::run
