// Every flag that sets a spec field refuses what the spec's JSON refuses, in the same words.
#include "dlrun/jobspec/fields.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/overrides.hpp"
#include "dlrun/jobspec/parse.hpp"

namespace dlrun::jobspec {
namespace {

using nlohmann::json;

struct Entrance {
  std::string flag;  // "--image"
  std::function<Overrides(const std::string&)> as_flag;
  std::function<json(const std::string&)> as_json;  // the spec's fields for the same value
  std::string json_path;                            // where the JSON reader reports it
};

SpecProblem json_problem(const json& fields) {
  json spec = {{"version", 1}, {"image", "img:1"}};
  spec.update(fields);
  auto parsed = parse_job_spec(spec.dump(), "/p", "t");
  REQUIRE_FALSE(parsed.has_value());
  REQUIRE(parsed.error().size() == 1);
  return parsed.error().front();
}

}  // namespace

TEST_CASE("flags and the spec's JSON refuse the same values with the same words",
          "[spec][fields]") {
  const std::string long_name(300, 'a');
  const std::vector<std::pair<Entrance, std::vector<std::string>>> table = {
      {{"--name", [](auto v) { return Overrides{.name = v}; },
        [](auto v) {
          return json{{"name", v}};
        },
        "name"},
       {"a b", "-bad", std::string(64, 'n'), ""}},
      {{"--image", [](auto v) { return Overrides{.image = v}; },
        [](auto v) {
          return json{{"image", v}};
        },
        "image"},
       {"my image", "-x", ":latest", "", long_name + ":1", "img:" + std::string(129, 't')}},
      {{"--timeout", [](auto v) { return Overrides{.timeout = v}; },
        [](auto v) {
          return json{{"timeout", v}};
        },
        "timeout"},
       {"soon", "30m1h", "6 hours", "-1h"}},
      {{"--pull", [](auto v) { return Overrides{.pull = v}; },
        [](auto v) {
          return json{{"pull", v}};
        },
        "pull"},
       {"sometimes", "alway", "ALWAYS"}},
      {{"--env", [](auto v) { return Overrides{.env = {v + "=1"}}; },
        [](auto v) {
          return json{{"env", {{v, "1"}}}};
        },
        "env."},
       {"1X", "A-B", "NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"}},
      {{"--registry-mirror",
        [](auto v) { return Overrides{.registry_mirrors = {"docker.io=" + v}}; },
        [](auto v) {
          return json{{"registry_mirror", {{"docker.io", v}}}};
        },
        "registry_mirror.docker.io"},
       {"https://mirror.example", "mirror.example/path", "", "mirror:99999x"}},
  };
  int checked = 0;
  for (const auto& [entrance, values] : table) {
    for (const auto& value : values) {
      INFO(entrance.flag << " " << value.substr(0, 80));
      const SpecProblem from_json = json_problem(entrance.as_json(value));
      CHECK(from_json.path.starts_with(entrance.json_path));
      JobSpec spec;
      const auto from_flag = apply_overrides(spec, entrance.as_flag(value));
      REQUIRE_FALSE(from_flag.has_value());
      CHECK(from_flag.error().kind == ErrorKind::usage);
      CHECK(from_flag.error().message == entrance.flag + " " + from_json.message);
      CHECK(from_flag.error().hint == from_json.hint);
      ++checked;
    }
  }
  CHECK(checked == 25);
}

TEST_CASE("NUL characters are spec errors at the field's path", "[spec][fields]") {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"command", {"python", std::string("train.py\0x", 10)}}}, "command[1]"},
      {{{"command", std::string("echo a\0b", 8)}}, "command"},
      {{{"env", {{"EPOCHS", std::string("3\0", 2)}}}}, "env.EPOCHS"},
      {{{"mounts", {{{"source", "/data"}, {"target", std::string("/da\0ta", 6)}}}}},
       "mounts[0].target"},
      {{{"outputs", std::string("./out\0puts", 10)}}, "outputs"},
      {{{"image", std::string("busybox\0:1", 10)}}, "image"},
      {{{"workdir", std::string("/w\0", 3)}}, "workdir"},
      {{{"labels", {{"team", std::string("a\0", 2)}}}}, "labels.team"},
  };
  for (const auto& [fields, path] : cases) {
    INFO(fields.dump());
    const SpecProblem problem = json_problem(fields);
    CHECK(problem.path == path);
    CHECK(problem.message == "contains a NUL character (\\u0000)");
  }
}

TEST_CASE("paths and image references too long for the system are spec errors", "[spec][fields]") {
  const std::string component(256, 'x');
  const SpecProblem outputs = json_problem({{"outputs", "/tmp/" + component + "/run"}});
  CHECK(outputs.path == "outputs");
  CHECK(outputs.message.ends_with("has a component longer than a file name may be (255 bytes): \"" +
                                  component.substr(0, 60) + "…\" (256 characters)"));

  const std::string huge(4 << 20, 'a');
  const SpecProblem image = json_problem({{"image", huge}});
  CHECK(image.path == "image");
  CHECK(image.message == "\"" + huge.substr(0, 60) +
                             "…\" (4194304 characters) is too long for "
                             "an image reference");
  CHECK(image.message.size() < 200);
}

// Found by tests/fuzz (job_spec): a long value was cut inside a character, and the problem was
// no longer UTF-8, which `validate --output json` could not print.
TEST_CASE("long values are cut between characters", "[spec][fields][fuzz]") {
  const auto repeated = [](int times) {
    std::string text;
    for (int i = 0; i < times; ++i) text += "\xC3\xA9";  // é
    return text;
  };
  const auto image = check_image_reference("a b" + repeated(40));
  REQUIRE(image);
  CHECK(image->message == "\"a b" + repeated(28) + "…\" (83 characters) is not an image reference");
  const SpecProblem env = json_problem({{"env", "a" + repeated(21)}});
  CHECK(env.message ==
        "expected an object of NAME: value pairs, got string \"a" + repeated(17) + "...\"");
  CHECK_NOTHROW(json{{"image", image->message}, {"env", env.message}}.dump());
}

}  // namespace dlrun::jobspec
