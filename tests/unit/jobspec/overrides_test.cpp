#include "dlrun/jobspec/overrides.hpp"

#include <catch2/catch.hpp>

#include "dlrun/jobspec/parse.hpp"

namespace dlrun::jobspec {
namespace {

JobSpec base(const std::string& command) {
  auto spec = parse_job_spec(R"({"version": 1, "image": "busybox", "env": {"A": "1"})" +
                                 (command.empty() ? "" : ", \"command\": " + command) + "}",
                             "/", "job");
  REQUIRE(spec.has_value());
  return *spec;
}

}  // namespace

TEST_CASE("command-line values win over the spec", "[spec][overrides]") {
  JobSpec spec = base(R"(["python", "train.py"])");
  Overrides overrides;
  overrides.name = "other";
  overrides.image = "busybox:2";
  overrides.gpus = "0,2";
  overrides.gpu_path = "cdi";
  overrides.timeout = "90s";
  overrides.env = {"A=2", "B=x=y"};
  overrides.extra_args = {"--lr", "3e-4"};
  REQUIRE(apply_overrides(spec, overrides).has_value());
  CHECK(spec.name == "other");
  CHECK(spec.image == "busybox:2");
  CHECK(std::get<GpuList>(spec.gpus).ids == std::vector<std::string>{"0", "2"});
  CHECK(spec.gpu_path == GpuPath::cdi);
  CHECK(spec.timeout == std::chrono::seconds(90));
  REQUIRE(spec.env.size() == 2);
  CHECK(std::get<LiteralValue>(spec.env[0].value).value == "2");
  CHECK(std::get<LiteralValue>(spec.env[1].value).value == "x=y");
  CHECK(std::get<CommandArgv>(spec.command).argv ==
        std::vector<std::string>{"python", "train.py", "--lr", "3e-4"});
}

TEST_CASE("extra arguments join a shell command quoted, or replace the image's CMD",
          "[spec][overrides]") {
  JobSpec shell = base(R"("python train.py")");
  REQUIRE(apply_overrides(shell, {.extra_args = {"--name", "it's"}}).has_value());
  CHECK(std::get<CommandShell>(shell.command).script == "python train.py --name 'it'\\''s'");

  JobSpec image_cmd = base("");
  REQUIRE(apply_overrides(image_cmd, {.extra_args = {"echo", "hi"}}).has_value());
  CHECK(std::get<CommandArgv>(image_cmd.command).argv == std::vector<std::string>{"echo", "hi"});
}

TEST_CASE("bad overrides are usage errors with hints", "[spec][overrides]") {
  JobSpec spec = base("");
  auto gpus = apply_overrides(spec, {.gpus = "two"});
  REQUIRE_FALSE(gpus);
  CHECK(gpus.error().kind == ErrorKind::usage);
  CHECK(gpus.error().message == "--gpus: \"two\" is not a GPU index or UUID");
  auto path = apply_overrides(spec, {.gpu_path = "hook"});
  REQUIRE_FALSE(path);
  CHECK(path.error().message == "--gpu-path unknown GPU path \"hook\"");

  auto env = apply_overrides(spec, {.env = {"NOVALUE"}});
  REQUIRE_FALSE(env);
  CHECK(env.error().message == "--env \"NOVALUE\" is not KEY=VALUE");

  auto visible = apply_overrides(spec, {.env = {"CUDA_VISIBLE_DEVICES=1"}});
  REQUIRE_FALSE(visible);
  CHECK(visible.error().message ==
        "--env CUDA_VISIBLE_DEVICES is set by dlrun from the `gpus` field");
  CHECK(visible.error().hint.starts_with("choose GPUs with \"gpus\" (or --gpus) instead"));

  auto timeout = apply_overrides(spec, {.timeout = "soon"});
  REQUIRE_FALSE(timeout);
  CHECK(timeout.error().message == "--timeout \"soon\" is not a duration");

  auto name = apply_overrides(spec, {.name = "a b"});
  REQUIRE_FALSE(name);
  CHECK(name.error().message == "--name \"a b\" is not a valid job name");
}

}  // namespace dlrun::jobspec
