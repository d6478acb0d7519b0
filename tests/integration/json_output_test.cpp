// Machine-readable results: one JSON document on stdout, whatever happened, for CI steps.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine_fixture.hpp"

namespace dlrun::testing {

TEST_CASE("train --output json: one result object, the job's stdout on stderr", "[engine][json]") {
  JobFixture job;
  const auto done =
      job.dlrun({"train", "--output", "json",
                 job.write_spec({{"name", "reported"}, {"command", "echo hello; exit 3"}})});
  CHECK(done.exit_code == 3);
  CHECK(done.err.find("hello\n") != std::string::npos);
  const auto result = nlohmann::json::parse(done.out);  // the whole of stdout: one document
  CHECK(result["job"] == "reported");
  CHECK(result["exit_code"] == 3);
  CHECK(result["reason"] == "failed");
  CHECK(result["image"] == kTestImage);
  CHECK(result["engine"].get<std::string>().starts_with("Docker 20.10."));
  CHECK(result["gpus"].is_null());
  CHECK(result["gpu_failure"].is_null());  // nothing in its output said so
  CHECK(result["container"].get<std::string>().starts_with("dlrun-reported-"));
  CHECK(result["id"].get<std::string>().size() == 64);  // the container it ran in
  CHECK(result["durations"]["pull_seconds"].get<double>() >= 0.0);
  CHECK(result["durations"]["run_seconds"].get<double>() > 0.0);
  CHECK(result["error"].is_null());

  const auto detached = job.dlrun({"train", "-d", "--output", "json",
                                   job.write_spec({{"command", {"sleep", "30"}}}, "d.json")});
  CHECK(detached.exit_code == 0);
  const auto started = nlohmann::json::parse(detached.out);
  CHECK(started["reason"] == "started");
  REQUIRE(started["id"].is_string());
  const std::string id = started["id"];
  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);

  // dlrun's own failure: still one object, with the paragraph's message and hint.
  const auto missing = job.dlrun(
      {"train", "--output", "json", job.write_spec({{"image", "dlrun-test/absent:1"}}, "m.json")});
  CHECK(missing.exit_code == 125);
  const auto failed = nlohmann::json::parse(missing.out);
  CHECK(failed["reason"] == "error");
  CHECK(failed["exit_code"] == 125);
  CHECK(failed["error"]["message"].get<std::string>().find("dlrun-test/absent:1") !=
        std::string::npos);
  CHECK(!failed["error"]["hint"].get<std::string>().empty());
  CHECK(job.leftover_containers().empty());

  // Even before any engine is known: a daemon address dlrun cannot read.
  const auto nowhere =
      job.dlrun({"train", "--output", "json", job.write_spec({}, "n.json")}, {}, "bogus://nowhere");
  CHECK(nowhere.exit_code != 0);
  const auto unaddressed = nlohmann::json::parse(nowhere.out);
  CHECK(unaddressed["reason"] == "error");
  CHECK(unaddressed["error"]["message"].get<std::string>().find("\"bogus://\"") !=
        std::string::npos);
}

TEST_CASE("validate --output json lists every problem with its path", "[json]") {
  JobFixture job;
  const std::string bad = (job.dir() / "bad.json").string();
  std::ofstream(bad)
      << R"({"version": 1, "image": "x", "gpus": "some", "resources": {"shm_sise": "1g"}})";
  const auto invalid = job.dlrun({"validate", "--output", "json", bad});
  CHECK(invalid.exit_code == 2);
  const auto report = nlohmann::json::parse(invalid.out);
  CHECK(report["valid"] == false);
  CHECK(report["job"].is_null());
  REQUIRE(report["problems"].size() == 2);
  CHECK(report["problems"][0]["path"] == "gpus");
  CHECK(report["problems"][1]["path"] == "resources.shm_sise");
  CHECK(report["problems"][1]["hint"] == "did you mean \"shm_size\"?");

  const auto valid =
      job.dlrun({"validate", "--output", "json", job.write_spec(nlohmann::json::object())});
  CHECK(valid.exit_code == 0);
  const auto ok = nlohmann::json::parse(valid.out);
  CHECK(ok["valid"] == true);
  CHECK(ok["image"] == kTestImage);
  CHECK(ok["problems"].empty());

  const auto unreadable = job.dlrun({"validate", "--output", "json", "/nonexistent/spec.json"});
  CHECK(unreadable.exit_code == 2);
  const auto gone = nlohmann::json::parse(unreadable.out);
  REQUIRE(gone["problems"].size() == 1);
  CHECK(gone["problems"][0]["path"] == "");
  CHECK(gone["problems"][0]["message"].get<std::string>().find("no such file") !=
        std::string::npos);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("validate --output json stays JSON whatever bytes its problems quote", "[engine][json]") {
  JobFixture job;
  // What the job_spec fuzz target found: dlrun aborted printing this spec's problems as JSON.
  const std::string spec = std::string(DLRUN_SOURCE_DIR) +
                           "/tests/fuzz/corpus/job_spec/regression-json-output-invalid-utf8";
  const auto checked = job.dlrun({"validate", "--output", "json", spec});
  INFO(checked.err);
  CHECK(checked.exit_code == 2);
  REQUIRE(nlohmann::json::accept(checked.out));
  CHECK(nlohmann::json::parse(checked.out)["valid"] == false);
}

}  // namespace dlrun::testing
