#include "dlrun/run/job/retry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>

namespace dlrun::run {
namespace {

JobExit ended(int exit_code, Ending ending, std::string gpu_failure = {}) {
  return JobExit{.exit_code = exit_code, .ending = ending, .gpu_failure = std::move(gpu_failure)};
}

}  // namespace

TEST_CASE("an attempt's ending is retried only where the policy names it", "[run][retry]") {
  jobspec::RetryPolicy policy{.attempts = 3, .exit_codes = {3, 75}};
  CHECK(retry_reason(policy, ended(3, Ending::failed)) == "exit code 3");
  CHECK(retry_reason(policy, ended(75, Ending::failed)) == "exit code 75");
  CHECK_FALSE(retry_reason(policy, ended(4, Ending::failed)));
  CHECK_FALSE(retry_reason(policy, ended(0, Ending::succeeded)));
  // By default a GPU failure is retried (a fresh container gets its GPUs back); OOM is not.
  CHECK(retry_reason(policy, ended(255, Ending::failed, "nvml-lost")) ==
        "a GPU failure (nvml-lost)");
  CHECK(retry_reason(policy, ended(134, Ending::killed, "illegal-address")) ==
        "a GPU failure (illegal-address)");
  CHECK_FALSE(retry_reason(policy, ended(137, Ending::out_of_memory)));
  // Never: a stop (Ctrl-C, SIGTERM), a timeout, a detach, a job that never started.
  policy.on_any_failure = true;
  policy.on_oom = true;
  CHECK(retry_reason(policy, ended(137, Ending::out_of_memory)) == "out of memory");
  CHECK(retry_reason(policy, ended(1, Ending::failed)) == "exit code 1");
  CHECK_FALSE(retry_reason(policy, ended(130, Ending::stopped)));
  CHECK_FALSE(retry_reason(policy, ended(124, Ending::timed_out)));
  CHECK_FALSE(
      retry_reason(policy, JobExit{.exit_code = 129, .ending = Ending::running, .detached = true}));
  CHECK_FALSE(retry_reason(
      policy, JobExit{.exit_code = 130, .ending = Ending::stopped, .never_started = true}));
  policy.on_gpu_error = false;
  policy.on_any_failure = false;
  CHECK_FALSE(retry_reason(policy, ended(255, Ending::failed, "nvml-lost")));
}

TEST_CASE("the delay before an attempt doubles, up to its cap", "[run][retry]") {
  const jobspec::RetryPolicy policy{
      .attempts = 10, .delay = std::chrono::seconds(10), .max_delay = std::chrono::seconds(60)};
  CHECK(retry_delay(policy, 2) == std::chrono::seconds(10));
  CHECK(retry_delay(policy, 3) == std::chrono::seconds(20));
  CHECK(retry_delay(policy, 4) == std::chrono::seconds(40));
  CHECK(retry_delay(policy, 5) == std::chrono::seconds(60));
  CHECK(retry_delay(policy, 10) == std::chrono::seconds(60));
}

TEST_CASE("the newest checkpoint is the latest written match", "[run][retry]") {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "dlrun-checkpoints-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  const std::optional<std::filesystem::path> outputs = std::filesystem::path(pattern);
  const auto write_at = [&](const std::string& name, std::int64_t seconds) {
    const auto path = *outputs / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << name;
    const timespec times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  };
  CHECK_FALSE(newest_checkpoint(*outputs, "ckpt-*.pt"));
  // By time, not by name: ckpt-10 sorts before ckpt-9.
  write_at("ckpt-9.pt", 1000);
  write_at("ckpt-10.pt", 2000);
  write_at("other-99.pt", 3000);
  CHECK(newest_checkpoint(*outputs, "ckpt-*.pt") == "ckpt-10.pt");
  // In a directory, and a checkpoint that is itself a directory (Hugging Face's checkpoint-500/).
  const auto directory_at = [&](const std::string& name, std::int64_t seconds) {
    std::filesystem::create_directories(*outputs / name);
    const timespec times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(utimensat(AT_FDCWD, (*outputs / name).c_str(), times, 0) == 0);
  };
  write_at("runs/step-1/model.safetensors", 4000);
  directory_at("runs/step-1", 4000);
  directory_at("runs/step-2", 5000);
  CHECK(newest_checkpoint(*outputs, "runs/step-*") == "runs/step-2");
  // The outputs directory's own name is a path, never a pattern.
  const auto odd = *outputs / "odd[1]";
  std::filesystem::create_directories(odd);
  std::ofstream(odd / "ckpt-1.pt") << "x";
  CHECK(newest_checkpoint(odd, "ckpt-*.pt") == "ckpt-1.pt");
  std::filesystem::remove_all(*outputs);
}

}  // namespace dlrun::run
