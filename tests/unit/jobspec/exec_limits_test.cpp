#include "dlrun/jobspec/exec_limits.hpp"

#include <catch2/catch.hpp>

#include "dlrun/jobspec/parse.hpp"

namespace dlrun::jobspec {
namespace {

JobSpec spec_with(const std::string& fields) {
  auto parsed = parse_job_spec(R"({"version": 1, "image": "img", )" + fields + "}", "/p", "t");
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string bytes(std::size_t count) {
  return std::string(count, 'x');
}

}  // namespace

TEST_CASE("an argument or variable larger than Linux takes is refused with its field",
          "[jobspec][exec]") {
  // 128 KiB with the NUL: the largest that fits is 131071 bytes.
  CHECK(check_exec_sizes(spec_with(R"("command": ["python", ")" + bytes(131071) + R"("])")));
  auto argument =
      check_exec_sizes(spec_with(R"("command": ["python", ")" + bytes(5'000'000) + R"("])"));
  REQUIRE_FALSE(argument);
  CHECK(argument.error().kind == ErrorKind::spec);
  CHECK(argument.error().message ==
        "command[1] is 5.0 MB, more than Linux starts a program with for one argument (128 KiB, "
        "MAX_ARG_STRLEN)");
  CHECK(argument.error().hint.starts_with("pass large data in a file"));

  // A shell command is one argument of /bin/sh -c.
  auto script = check_exec_sizes(spec_with(R"("command": "echo )" + bytes(200'000) + R"(")"));
  REQUIRE_FALSE(script);
  CHECK(script.error().message.starts_with("command is 200.0 kB"));

  // A variable counts as NAME=value.
  CHECK(check_exec_sizes(spec_with(R"("env": {"AB": ")" + bytes(131071 - 3) + R"("})")));
  auto variable = check_exec_sizes(spec_with(R"("env": {"AB": ")" + bytes(131071 - 2) + R"("})"));
  REQUIRE_FALSE(variable);
  CHECK(
      variable.error().message.starts_with("env.AB is 131.1 kB, more than Linux starts a "
                                           "program with for one variable"));
}

TEST_CASE("arguments and variables together are held to the kernel's cap", "[jobspec][exec]") {
  std::string env;
  for (int i = 0; i < 66; ++i)
    env +=
        (i ? ", " : "") + std::string("\"V") + std::to_string(i) + "\": \"" + bytes(100'000) + "\"";
  auto together = check_exec_sizes(spec_with(R"("env": {)" + env + "}"));
  REQUIRE_FALSE(together);
  CHECK(together.error().message.starts_with("the command and env are 6.6 MB together"));
  // From the host, a variable is checked when it is read (run/plan), not here.
  CHECK(check_exec_sizes(spec_with(R"("env": {"T": {"from_env": "HOST_T"}})")));
}

}  // namespace dlrun::jobspec
