// The run record (docs/run-record.md): what a job ran, kept in its outputs, as its schema says.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine_fixture.hpp"
#include "process.hpp"

namespace dlrun::testing {
namespace {

// A program found on PATH, as a shell would.
ProcessResult run(std::vector<std::string> args) {
  Invocation invocation;
  args.insert(args.begin(), "/usr/bin/env");
  invocation.args = std::move(args);
  return run_process(invocation);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a job with outputs leaves a run record of what ran, valid by its schema",
          "[engine][record]") {
  JobFixture job;
  // The job's code: a git work tree with a change not yet committed.
  const auto code = job.dir() / "code";
  std::filesystem::create_directories(code);
  std::ofstream(code / "train.sh") << "echo trained\n";
  REQUIRE(run({"git", "-C", code.string(), "init", "-q"}).exit_code == 0);
  REQUIRE(run({"git", "-C", code.string(), "add", "train.sh"}).exit_code == 0);
  REQUIRE(run({"git", "-C", code.string(), "-c", "user.name=dlrun", "-c", "user.email=t@dlrun",
               "commit", "-qm", "first"})
              .exit_code == 0);
  const std::string commit = run({"git", "-C", code.string(), "rev-parse", "HEAD"}).out;
  std::ofstream(code / "train.sh", std::ios::app) << "echo changed\n";

  const auto outputs = job.dir() / "outputs";
  Invocation with_gpus;
  with_gpus.env["DLRUN_NVML_LIBRARY"] = DLRUN_FAKE_NVML;
  with_gpus.env["DLRUN_TEST_SECRET"] = "s3cret-token-value";
  const auto result = job.dlrun(
      {"train", "--output", "json", "--env", "EPOCHS=2",
       job.write_spec(
           {{"mounts",
             {{{"source", code.string()}, {"target", "/workspace"}, {"read_only", true}}}},
            {"outputs", outputs.string()},
            {"gpus", 1},
            {"env", {{"TOKEN", {{"from_env", "DLRUN_TEST_SECRET"}}}}},
            {"command", "sh /workspace/train.sh"}})},
      with_gpus);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  const auto file = outputs / "dlrun-run.json";
  REQUIRE(std::filesystem::exists(file));
  const std::string text = read_text(file);
  // Valid by the schema shipped in docs/, checked by an independent validator.
  const auto validated = run({"python3", "-c",
                              "import json, sys, jsonschema; "
                              "jsonschema.validate(json.load(open(sys.argv[2])), "
                              "json.load(open(sys.argv[1])))",
                              DLRUN_SOURCE_DIR "/docs/dlrun-run.schema.json", file.string()});
  INFO(validated.err);
  CHECK(validated.exit_code == 0);
  CHECK(text.find("s3cret-token-value") == std::string::npos);  // a secret is only named

  const auto record = nlohmann::json::parse(text);
  CHECK(record == nlohmann::json::parse(result.out)["record"]);  // --output json: the same
  CHECK(record["spec"]["document"]["env"]["TOKEN"]["from_env"] == "DLRUN_TEST_SECRET");
  CHECK(record["spec"]["overrides"]["env"] == nlohmann::json::array({"EPOCHS=2"}));
  CHECK(record["image"]["name"] == kTestImage);
  CHECK(record["image"]["id"].get<std::string>().starts_with("sha256:"));
  CHECK(record["engine"]["name"].get<std::string>().starts_with("Docker 20.10."));
  CHECK(record["host"]["driver"] == "550.54.14");
  REQUIRE(record["gpus"].size() == 1);
  CHECK(record["gpus"][0]["uuid"] == "GPU-11111111-2222-3333-4444-555555555555");
  CHECK(record["gpus"][0]["architecture"] == "sm_90");
  REQUIRE(record["code"].size() == 1);
  CHECK(record["code"][0]["mount"] == "/workspace");
  CHECK(record["code"][0]["commit"] == commit.substr(0, commit.find('\n')));
  CHECK(record["code"][0]["dirty"] == true);
  CHECK(record["exit_code"] == 0);
  CHECK(record["reason"] == "succeeded");
  CHECK_FALSE(record["ended"].is_null());
  CHECK(record["attempts"].size() == 1);

  const auto shown = job.dlrun({"show", outputs.string()});
  INFO(shown.err);
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find(": succeeded (exit 0)") != std::string::npos);
  CHECK(shown.out.find("/workspace: " + code.string() + " at " + commit.substr(0, 40) +
                       ", with uncommitted changes") != std::string::npos);
  const auto missing = job.dlrun({"show", job.dir().string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no run record at") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a job that never started leaves no record, and no outputs directory",
          "[engine][record][signals]") {
  JobFixture job;
  const auto outputs = job.dir() / "never";
  // An image that is not there and may not be pulled: refused before any container.
  const auto refused = job.dlrun({"train", job.write_spec({{"outputs", outputs.string()},
                                                           {"image", "dlrun-test/absent:1"},
                                                           {"pull", "never"}})});
  CHECK(refused.exit_code != 0);
  CHECK_FALSE(std::filesystem::exists(outputs));
}

// The create request a dry run prints.
nlohmann::json create_body(const std::string& dry_run) {
  const auto start = dry_run.find('\n', dry_run.find("create request: POST /containers/create"));
  const auto end = dry_run.find("\n\nequivalent docker command");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  return nlohmann::json::parse(dry_run.substr(start + 1, end - start - 1));
}

TEST_CASE("a job run again from its record gets the same create request, its image pinned",
          "[engine][record]") {
  JobFixture job;
  const auto outputs = job.dir() / "outputs";
  const std::string spec = job.write_spec(
      {{"outputs", outputs.string()}, {"gpus", 1}, {"command", "echo again $EPOCHS"}});
  const auto first = job.dlrun({"train", "--env", "EPOCHS=3", spec});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const auto record = nlohmann::json::parse(read_text(outputs / "dlrun-run.json"));

  // As planned from the spec and from the record: the same request, but for the image, pinned
  // by its id (an imported image has no registry digest), and the owner (this dlrun).
  const auto planned = job.dlrun({"train", "--dry-run", "--env", "EPOCHS=3", spec});
  const auto replanned = job.dlrun({"train", "--dry-run", "--from-record", outputs.string()});
  INFO(replanned.err);
  REQUIRE(planned.exit_code == 0);
  REQUIRE(replanned.exit_code == 0);
  auto original = create_body(planned.out);
  auto again = create_body(replanned.out);
  CHECK(again["Image"] == record["image"]["id"]);
  for (auto* body : {&original, &again}) {
    body->erase("Image");
    (*body)["Labels"].erase("dlrun.owner");
  }
  CHECK(original == again);

  // And run: the same job, its record the same but for the times.
  const auto rerun = job.dlrun({"train", "--from-record", (outputs / "dlrun-run.json").string()});
  INFO(rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.out == "again 3\n");
  const auto rerecord = nlohmann::json::parse(read_text(outputs / "dlrun-run.json"));
  CHECK(rerecord["spec"]["digest"] == record["spec"]["digest"]);
  CHECK(rerecord["spec"]["document"] == record["spec"]["document"]);
  CHECK(rerecord["spec"]["overrides"] == record["spec"]["overrides"]);
  CHECK(rerecord["image"]["id"] == record["image"]["id"]);

  // Not a record: said so.
  std::ofstream(job.dir() / "not-a-record.json") << "{\"version\": 1}";
  const auto refused =
      job.dlrun({"train", "--from-record", (job.dir() / "not-a-record.json").string()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("is not a dlrun run record") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing
