// Many jobs at once on one engine: each gets its own exit code, its own output and only its own,
// and the files dlrun shares between runs (the per-daemon memory) stay whole.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine_fixture.hpp"

namespace dlrun::testing {

TEST_CASE("16 jobs at once: their own exit codes, their own output, no file written by two",
          "[engine][concurrency]") {
  JobFixture job;
  namespace fs = std::filesystem;
  constexpr int kJobs = 16;
  constexpr int kLines = 2000;
  // Other users must read the specs, and every run shares one cache directory, as the runs of
  // one user (and a shared CI cache) do.
  fs::permissions(job.dir(), fs::perms::owner_all | fs::perms::others_read |
                                 fs::perms::others_exec | fs::perms::group_read |
                                 fs::perms::group_exec);
  const fs::path cache = job.dir() / "cache";
  fs::create_directory(cache);
  fs::permissions(cache, fs::perms::all);

  std::vector<std::string> specs;
  std::vector<std::string> expected;
  for (int i = 0; i < kJobs; ++i) {
    const std::string name = "crowd-" + std::to_string(i);
    const uid_t uid = i < kJobs / 2 ? 0 : static_cast<uid_t>(5100 + i);
    specs.push_back(job.write_spec(
        {{"name", name},
         {"gpus", nlohmann::json::array({std::to_string(i % 4)})},
         {"command", "for n in $(seq 1 " + std::to_string(kLines) + "); do echo " + name +
                         " $n; done; echo gpus=$NVIDIA_VISIBLE_DEVICES uid=$(id -u); exit " +
                         std::to_string(100 + i)}},
        name + ".json"));
    std::string text;
    for (int n = 1; n <= kLines; ++n) text += name + " " + std::to_string(n) + "\n";
    expected.push_back(text + "gpus=" + std::to_string(i % 4) + " uid=" + std::to_string(uid) +
                       "\n");
  }

  std::vector<ProcessResult> results(kJobs);
  std::vector<std::thread> runs;
  for (int i = 0; i < kJobs; ++i) {
    runs.emplace_back([&, i] {
      Invocation as;
      as.limit = std::chrono::seconds(300);
      as.env["XDG_CACHE_HOME"] = cache.string();
      if (i >= kJobs / 2) {
        as.uid = static_cast<uid_t>(5100 + i);
        as.env["HOME"] = "/nonexistent";
      }
      results[static_cast<std::size_t>(i)] =
          job.dlrun({"train", "-q", specs[static_cast<std::size_t>(i)]}, as);
    });
  }
  for (auto& run : runs) run.join();

  for (int i = 0; i < kJobs; ++i) {
    const auto& result = results[static_cast<std::size_t>(i)];
    INFO("job " << i << ": " << result.err);
    CHECK(result.exit_code == 100 + i);
    CHECK(result.out == expected[static_cast<std::size_t>(i)]);
  }
  CHECK(job.leftover_containers().empty());
  // What the runs learned of the daemon (it refuses dlrun's memlock default, so each run that
  // found out wrote it), written by many at once, is still one document.
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(cache)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    INFO(entry.path());
    std::ifstream in(entry.path());
    CHECK(nlohmann::json::accept(in));
  }
  CHECK(files == 1);  // daemons.json, and no temporary file left beside it
}

}  // namespace dlrun::testing
