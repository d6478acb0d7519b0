// Framework resolution against the engine: images already there rank first.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine_fixture.hpp"

namespace dlrun::testing {

TEST_CASE("an image already on the engine is chosen over a newer one that needs a pull",
          "[engine][resolve]") {
  JobFixture job;
  nlohmann::json spec = {{"framework", {{"name", "pytorch"}}}, {"command", {"echo", "trained"}}};
  spec["image"] = nullptr;  // the fixture's default image is removed: resolution picks one
  const std::string path = job.write_spec(spec);
  const std::vector<std::string> host = {"--driver-version", "550.54.14", "--gpu-arch", "sm_90"};

  std::vector<std::string> resolve = {"resolve", path};
  resolve.insert(resolve.end(), host.begin(), host.end());
  const auto resolved = job.dlrun(resolve);
  INFO(resolved.err);
  CHECK(resolved.exit_code == 0);
  CHECK(resolved.out ==
        "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime: already on the engine, and fits this host "
        "(driver 550.54.14, "
        "sm_90)\n");

  resolve.push_back("--explain");
  const auto explained = job.dlrun(resolve);
  CHECK(explained.out.find(
            "  fits pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime (on the engine)\n") !=
        std::string::npos);
  // Each rejection on a line of its own: the rule, the message, the source's number.
  CHECK(
      explained.out.find("  no   pytorch/pytorch:1.13.1-cuda11.6-cudnn8-runtime\n"
                         "         gpu-arch-not-compiled: GPU 0 (sm_90) has no kernels in it [") !=
      std::string::npos);
  CHECK(explained.out.find("\nsources:\n  [1] ") != std::string::npos);

  std::vector<std::string> train = {"train", path, "--gpus", "all"};
  train.insert(train.end(), host.begin(), host.end());
  const auto ran = job.dlrun(train);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "trained\n");
  CHECK(ran.err.find("dlrun: info: image pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime: already on "
                     "the engine") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("resolution refuses with the fix when nothing fits", "[engine][resolve]") {
  JobFixture job;
  nlohmann::json spec = {
      {"framework", {{"name", "pytorch"}, {"version", "2.5"}, {"source", "official"}}}};
  spec["image"] = nullptr;
  const auto result = job.dlrun(
      {"resolve", job.write_spec(spec), "--driver-version", "570.124.06", "--gpu-arch", "sm_120"});
  CHECK(result.exit_code == 125);
  CHECK(result.err ==
        "dlrun: error: GPU 0 (sm_120) has no kernels in it (PyTorch 2.5: "
        "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime)\n"
        "hint: use PyTorch >= 2.7 with CUDA >= 12.8\n");

  const auto json = job.dlrun({"resolve", "--output", "json",
                               job.write_spec({{"framework", {{"name", "pytorch"}}}}),
                               "--driver-version", "470.82.01"});
  // write_spec keeps the default image when not told otherwise: explicit wins.
  CHECK(nlohmann::json::parse(json.out)["reason"] == "given explicitly");
}

namespace dlrun::testing {

TEST_CASE("a user catalog brings in-house images into resolution", "[engine][resolve]") {
  JobFixture job;
  const std::string catalog = (job.dir() / "catalog.json").string();
  std::ofstream(catalog)
      << R"({"images": [{"framework": "pytorch", "version": "2.99.0", "cuda": "12.8",
      "variant": "runtime", "source_kind": "official", "reference": "dlrun-test/busybox:1", "sass": ["sm_90"],
      "driver_rule": "minor_version_compatibility", "source": "the test's in-house build"}]})";
  nlohmann::json spec = {{"framework", {{"name", "pytorch"}, {"version", "2.99"}}},
                         {"command", {"echo", "in-house"}}};
  spec["image"] = nullptr;
  const std::string path = job.write_spec(spec);
  const auto resolved =
      job.dlrun({"resolve", path, "--catalog", catalog, "--driver-version", "550.54.14"});
  INFO(resolved.err);
  CHECK(resolved.exit_code == 0);
  CHECK(resolved.out.starts_with("dlrun-test/busybox:1: already on the engine"));

  Invocation with_env;
  with_env.env["DLRUN_CATALOG"] = catalog;
  const auto ran = job.dlrun({"train", "-q", path}, with_env);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "in-house\n");
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("resolution pulls through a registry mirror, and knows the mirror's copy on the engine",
          "[engine][resolve][registry]") {
  JobFixture job;
  const std::string mirrored = job.engine().registry() + "/dlrun-test/mirrored:1";
  const auto tagged = run_process({.args = {"/usr/bin/docker", "-H", job.engine().gpu_host(), "tag",
                                            "dlrun-test/busybox:1", mirrored}});
  REQUIRE(tagged.exit_code == 0);
  const std::string catalog = (job.dir() / "catalog.json").string();
  const auto row = [](const char* version, const char* reference) {
    return nlohmann::json{{"framework", "pytorch"},
                          {"version", version},
                          {"cuda", "12.8"},
                          {"variant", "runtime"},
                          {"source_kind", "official"},
                          {"reference", reference},
                          {"sass", {"sm_90"}},
                          {"driver_rule", "minor_version_compatibility"},
                          {"source", "the test"}};
  };
  std::ofstream(catalog) << nlohmann::json{
      {"images", {row("2.98.0", "dlrun-test/mirrored:1"), row("2.99.0", "dlrun-test/absent:1")}}};
  nlohmann::json spec = {{"framework", {{"name", "pytorch"}, {"version", ">=2.98"}}}};
  spec["image"] = nullptr;
  const std::vector<std::string> args = {"resolve",   "--catalog",  catalog, "--driver-version",
                                         "550.54.14", "--gpu-arch", "sm_90"};

  // Without the mirror, the mirror's copy is just another image: the newest wins.
  auto direct = args;
  direct.insert(direct.begin() + 1, job.write_spec(spec));
  CHECK(job.dlrun(direct).out.starts_with("dlrun-test/absent:1: the newest PyTorch image"));

  spec["registry_mirror"] = {{"docker.io", job.engine().registry()}};
  auto through_mirror = args;
  through_mirror.insert(through_mirror.begin() + 1, job.write_spec(spec));
  const auto resolved = job.dlrun(through_mirror);
  INFO(resolved.err);
  CHECK(resolved.exit_code == 0);
  CHECK(resolved.out ==
        "dlrun-test/mirrored:1: already on the engine, and fits this host (driver 550.54.14, "
        "sm_90)\npulled from " +
            mirrored + " (registry mirror)\n");
  through_mirror.insert(through_mirror.end(), {"--output", "json"});
  CHECK(nlohmann::json::parse(job.dlrun(through_mirror).out)["pull_from"] == mirrored);

  run_process({.args = {"/usr/bin/docker", "-H", job.engine().gpu_host(), "rmi", mirrored}});
}

}  // namespace dlrun::testing

TEST_CASE("validate says that a framework spec's image is resolved at run time",
          "[engine][resolve]") {
  JobFixture job;
  nlohmann::json spec = {{"framework", {{"name", "pytorch"}, {"version", "2.3"}}},
                         {"command", {"python", "train.py"}}};
  spec["image"] = nullptr;
  const auto validated = job.dlrun({"validate", job.write_spec(spec)});
  CHECK(validated.exit_code == 0);
  CHECK(validated.out.ends_with(
      ": ok (job job, image resolved at run time from framework pytorch (dlrun resolve shows "
      "which))\n"));
}

}  // namespace dlrun::testing
