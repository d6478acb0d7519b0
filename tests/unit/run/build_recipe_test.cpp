// The Dockerfile a build section becomes, and the tag that names its content.
#include "dlrun/run/build_recipe.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dlrun/run/image_build.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

const BaseImage kBase{
    .reference = "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
    .id = "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    .user = ""};

EnvLookup environment(std::map<std::string, std::string> values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    const auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

}  // namespace

TEST_CASE("the Dockerfile installs apt, then the requirements file, then pip lines, then runs",
          "[run][build]") {
  const fs::path dir = fs::temp_directory_path() / ("dlrun-recipe-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "requirements.txt") << "numpy==1.26.4\n";
  jobspec::BuildSection build{.apt = {"libsndfile1"},
                              .requirements = dir / "requirements.txt",
                              .pip = {"transformers==4.44.2"},
                              .run = {"python -m nltk.downloader punkt"},
                              .env = {{"https_proxy", jobspec::FromHostEnv{"PROXY"}},
                                      {"PIP_INDEX_URL", jobspec::LiteralValue{"http://index"}}}};
  const auto recipe =
      make_build_recipe(build, "Speech_Model", kBase, environment({{"PROXY", "http://u:p@x"}}));
  REQUIRE(recipe.has_value());
  const std::string& file = recipe->dockerfile;
  const auto at = [&](std::string_view text) { return file.find(text); };
  CHECK(file.starts_with("# dlrun: the \"build\" section of job Speech_Model on pytorch/pytorch"));
  CHECK(at("FROM " + kBase.id + "\n") != std::string::npos);
  CHECK(at("\nUSER") == std::string::npos);  // the base runs as root already
  // Only the variable that is not a proxy is declared; the proxy's value is in no line.
  CHECK(at("ARG PIP_INDEX_URL\n") != std::string::npos);
  CHECK(at("https_proxy") == std::string::npos);
  CHECK(at("http://u:p@x") == std::string::npos);
  CHECK(at("apt-get install -y --no-install-recommends libsndfile1 &&") < at("COPY requirements"));
  CHECK(at("COPY requirements.txt /tmp/dlrun-build/requirements.txt") < at("-r /tmp/dlrun-build"));
  CHECK(at("-r /tmp/dlrun-build") < at(" transformers==4.44.2\n"));
  CHECK(at(" transformers==4.44.2\n") < at("RUN python -m nltk.downloader punkt"));
  CHECK(recipe->build_args.at("https_proxy") == "http://u:p@x");
  CHECK(recipe->tag.starts_with("dlrun/speech-model:"));
  CHECK(recipe->tag.size() == std::string("dlrun/speech-model:").size() + 16);
  CHECK(recipe->labels.at("dlrun.build.base") == kBase.reference);
  CHECK(recipe->steps[2].said == "build.apt: apt-get install libsndfile1");

  SECTION("the tag changes with the requirements file's content, not with a secret's value") {
    const auto other_secret =
        make_build_recipe(build, "Speech_Model", kBase, environment({{"PROXY", "http://v:q@x"}}));
    CHECK(other_secret->tag == recipe->tag);
    std::ofstream(dir / "requirements.txt") << "numpy==2.0.0\n";
    const auto other_file =
        make_build_recipe(build, "Speech_Model", kBase, environment({{"PROXY", "http://u:p@x"}}));
    CHECK(other_file->tag != recipe->tag);
  }
  SECTION("an unset proxy variable and a missing requirements file are the user's to fix") {
    const auto unset = make_build_recipe(build, "job", kBase, environment({}));
    REQUIRE_FALSE(unset.has_value());
    CHECK(unset.error().message == "build.env.https_proxy names PROXY, which is not set");
    fs::remove(dir / "requirements.txt");
    const auto missing =
        make_build_recipe(build, "job", kBase, environment({{"PROXY", "http://u:p@x"}}));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::usage);
    CHECK(missing.error().message.ends_with("requirements.txt: no such file"));
  }
  fs::remove_all(dir);
}

TEST_CASE("a base image's own user comes back after the steps, which run as root", "[run][build]") {
  const auto recipe =
      make_build_recipe({.pip = {"x"}}, "job",
                        {.reference = "img", .id = "sha256:22", .user = "1000"}, environment({}));
  REQUIRE(recipe.has_value());
  CHECK(recipe->dockerfile.find("FROM sha256:22\nUSER root\nRUN ") != std::string::npos);
  CHECK(recipe->dockerfile.find("\nUSER 1000\nLABEL ") != std::string::npos);
}

TEST_CASE("a job's name becomes a repository Docker accepts", "[run][build]") {
  CHECK(build_repository("resnet50") == "resnet50");
  CHECK(build_repository("My_Job.v2") == "my-job-v2");
  CHECK(build_repository("a--b__c.") == "a-b-c");
  CHECK(build_repository("___") == "job");
}

}  // namespace dlrun::run
