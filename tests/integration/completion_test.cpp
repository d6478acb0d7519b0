// Shell completion, driven as the shells drive it: bash's completion function called with the
// words typed so far, against the real engine for job ids and names.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dlrun/shell_quote.hpp"
#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

// What bash offers after `words` (the last one being completed), one candidate per line.
std::string bash_completes(const JobFixture& job, const std::vector<std::string>& words) {
  std::string typed;
  for (const auto& word : words) typed += " " + shell_quote(word);
  const std::string script =
      "source <(" + shell_quote(DLRUN_BINARY) + " completion bash) && COMP_WORDS=(" + typed +
      ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && COMPREPLY=() && "
      "_dlrun && if ((${#COMPREPLY[@]})); then printf '%s\\n' \"${COMPREPLY[@]}\" | sort; fi";
  Invocation bash{
      .args = {"/bin/bash", "-c", "cd " + shell_quote(job.dir().string()) + " && " + script}};
  bash.env["DOCKER_HOST"] = job.engine().gpu_host();
  const auto result = run_process(bash);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

bool shell_present(const std::string& shell) {
  return std::filesystem::exists("/usr/bin/" + shell) || std::filesystem::exists("/bin/" + shell);
}

}  // namespace

TEST_CASE("bash completes commands, flags, flag values and spec files", "[completion]") {
  JobFixture job;
  std::ofstream(job.dir() / "train.json") << "{}";
  std::ofstream(job.dir() / "notes.txt") << "";
  std::filesystem::create_directory(job.dir() / "specs");

  CHECK(bash_completes(job, {DLRUN_BINARY, "tr"}) == "train\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "a"}) == "attach\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "train", "--pu"}) == "--pull\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "train", "--pull", ""}) == "always\nmissing\nnever\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "ps", "--output", "j"}) == "json\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "completion", ""}) == "bash\nfish\nzsh\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "train", "--name", ""}) == "");  // free text
  CHECK(bash_completes(job, {DLRUN_BINARY, "--log-level", "d"}) == "debug\n");
  // A spec: JSON files and directories to look in, not other files.
  CHECK(bash_completes(job, {DLRUN_BINARY, "train", ""}) == "specs/\ntrain.json\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "validate", "t"}) == "train.json\n");
}

TEST_CASE("bash completes job ids and names from the engine, silently when it is away",
          "[engine][completion]") {
  JobFixture job;
  const auto started = job.dlrun(
      {"train", "-d", job.write_spec({{"name", "complete-me"}, {"command", {"sleep", "30"}}})});
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, 12);

  CHECK(bash_completes(job, {DLRUN_BINARY, "logs", "complete-"}) == "complete-me\n");
  CHECK(bash_completes(job, {DLRUN_BINARY, "stop", id.substr(0, 6)}) == id + "\n");

  // No engine: no candidates and not a word on the terminal.
  Invocation away{.args = {DLRUN_BINARY, "__complete-jobs"}};
  away.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock";
  const auto silent = run_process(away);
  CHECK(silent.exit_code == 0);
  CHECK(silent.out.empty());
  CHECK(silent.err.empty());

  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

TEST_CASE("the zsh and fish scripts are valid for their shells", "[completion]") {
  JobFixture job;
  for (const std::string shell : {"bash", "zsh", "fish"}) {
    INFO(shell);
    if (!shell_present(shell)) {
      // CI installs both (scripts/setup.sh --test); elsewhere a missing shell cannot be checked.
      CHECK(std::getenv("CI") == nullptr);
      continue;
    }
    const auto script = job.dir() / ("dlrun." + shell);
    const auto printed = run_process({.args = {DLRUN_BINARY, "completion", shell}});
    REQUIRE(printed.exit_code == 0);
    std::ofstream(script) << printed.out;
    const auto checked = run_process({.args = {"/usr/bin/env", shell, "-n", script.string()}});
    INFO(checked.err);
    CHECK(checked.exit_code == 0);
    if (shell == "fish") {  // fish completes from its own table: ask it as it asks itself
      const auto offered = run_process({.args = {"/usr/bin/env", "fish", "-c",
                                                 "source " + script.string() +
                                                     "; complete -C 'dlrun tr'; complete -C 'dlrun "
                                                     "ps --output '"}});
      CHECK(offered.out.starts_with("train\t"));
      CHECK(offered.out.find("json\t") != std::string::npos);
    }
  }
}

}  // namespace dlrun::testing
