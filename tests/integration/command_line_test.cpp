// The command line itself, as a script sees it: what a mistyped command does, with and
// without --help.
#include <catch2/catch.hpp>

#include "process.hpp"

namespace dlrun::testing {
namespace {

ProcessResult dlrun(std::vector<std::string> args) {
  args.insert(args.begin(), DLRUN_BINARY);
  return run_process({.args = std::move(args)});
}

}  // namespace

TEST_CASE("an unknown command is an error with the nearest one, with --help too", "[cli]") {
  const auto typo = dlrun({"trian", "spec.json"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.empty());
  CHECK(typo.err ==
        "dlrun: error: unknown command 'trian'\n"
        "hint: did you mean 'train'? dlrun --help lists the commands\n");

  const auto help = dlrun({"pull", "--help"});
  CHECK(help.exit_code == 2);
  CHECK(help.out.empty());  // not the top-level help, as if all were well
  CHECK(help.err.starts_with("dlrun: error: unknown command 'pull'\n"));

  // After global options and their values, and nothing near it.
  const auto far = dlrun({"--log-level", "debug", "-H", "unix:///x.sock", "frobnicate"});
  CHECK(far.exit_code == 2);
  CHECK(far.err ==
        "dlrun: error: unknown command 'frobnicate'\nhint: dlrun --help lists the commands\n");

  // What is a command still is, in front of --help.
  const auto known = dlrun({"-q", "train", "--help"});
  CHECK(known.exit_code == 0);
  CHECK(known.out.find("dlrun train train.json --dry-run") != std::string::npos);
}

}  // namespace dlrun::testing
