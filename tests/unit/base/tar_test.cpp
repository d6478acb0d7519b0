#include "dlrun/tar.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dlrun/run/plan/timeout_program.hpp"

namespace dlrun::run {
namespace {

std::string run_shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

}  // namespace

TEST_CASE("tar archives unpack with the system's tar, modes and bytes intact", "[tar]") {
  const std::string contents(1500, 'x');  // spans blocks: padding to 512 is exercised
  const std::string archive = tar_archive({{.path = "d", .mode = 0755, .directory = true},
                                           {.path = "d/f", .mode = 0750, .contents = contents}});
  CHECK(archive.size() % 512 == 0);
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlrun-tar-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.tar", std::ios::binary) << archive;
  const std::string listing = run_shell("tar -tvf " + (dir / "a.tar").string());
  CHECK(listing.find("drwxr-xr-x root/root") != std::string::npos);
  CHECK(listing.find("-rwxr-x--- root/root      1500") != std::string::npos);
  run_shell("tar -xf " + (dir / "a.tar").string() + " -C " + dir.string());
  std::ifstream unpacked(dir / "d/f", std::ios::binary);
  std::stringstream read;
  read << unpacked.rdbuf();
  CHECK(read.str() == contents);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the timeout program is carried whole, executable, at /.dlrun/timeout", "[tar]") {
  const std::string& archive = timeout_program_archive();
  REQUIRE(archive.size() > 100'000);  // a static program, not an empty stand-in
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlrun-timeout-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.tar", std::ios::binary) << archive;
  run_shell("tar -xf " + (dir / "t.tar").string() + " -C " + dir.string());
  const auto program = dir / ".dlrun/timeout";
  REQUIRE(std::filesystem::exists(program));
  // It runs, keeps the command's code, and says 124 when the deadline strikes.
  CHECK(std::system((program.string() + " 5 1 -- /bin/sh -c 'exit 42'").c_str()) >> 8 == 42);
  CHECK(std::system((program.string() + " 1 1 -- /bin/sleep 30 2>/dev/null").c_str()) >> 8 == 124);
  CHECK(std::system((program.string() + " 2>/dev/null").c_str()) >> 8 == 125);
  CHECK(deadline_entrypoint(std::chrono::seconds(90), 10, {"/entry.sh", "-x"}) ==
        std::vector<std::string>{"/.dlrun/timeout", "90", "10", "--", "/entry.sh", "-x"});
  std::filesystem::remove_all(dir);
}

}  // namespace dlrun::run
