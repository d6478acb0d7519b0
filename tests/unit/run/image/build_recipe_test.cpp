// The Dockerfile a build section becomes, and the tag that names its content.
#include "dlrun/run/image/build_recipe.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dlrun/run/image/image_build.hpp"

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

TEST_CASE("a secret build variable makes dlrun run the steps, and no ARG carries it",
          "[run][build]") {
  const jobspec::BuildSection build{
      .apt = {"hello"},
      .pip = {"x==1"},
      .env = {{"PIP_INDEX_URL", jobspec::FromHostEnv{"INDEX"}},
              {"https_proxy", jobspec::LiteralValue{"http://proxy:3128"}}}};
  const auto recipe = make_build_recipe(
      build, "job", kBase, environment({{"INDEX", "https://t0ken@index"}}), BuildFlavor::buildkit);
  REQUIRE(recipe.has_value());
  CHECK(recipe->commit_steps);
  CHECK(recipe->flavor == BuildFlavor::classic);  // no cache mounts outside a builder
  CHECK(recipe->dockerfile.find("\nARG ") == std::string::npos);
  CHECK(recipe->dockerfile.find("t0ken") == std::string::npos);
  CHECK(recipe->build_args.at("PIP_INDEX_URL") == "https://t0ken@index");
  std::vector<std::string> keys;
  for (const auto& step : recipe->steps) {
    if (step.action == BuildStep::Action::none) continue;
    CHECK(step.command == step.instruction.substr(4));  // "RUN …"
    keys.push_back(step.cache_key);
  }
  REQUIRE(keys.size() == 2);  // apt, pip
  CHECK(keys[0] != keys[1]);

  SECTION("a changed pip pin keeps the apt step's key; a changed secret changes none") {
    jobspec::BuildSection repinned = build;
    repinned.pip = {"x==2"};
    const auto other =
        make_build_recipe(repinned, "job", kBase, environment({{"INDEX", "https://t0ken@index"}}));
    const auto other_secret =
        make_build_recipe(build, "job", kBase, environment({{"INDEX", "https://n3w@index"}}));
    REQUIRE(other.has_value());
    REQUIRE(other_secret.has_value());
    CHECK(other->steps[1].cache_key == recipe->steps[1].cache_key);
    CHECK(other->steps[2].cache_key != recipe->steps[2].cache_key);
    CHECK(other_secret->steps[2].cache_key == recipe->steps[2].cache_key);
    CHECK(other_secret->tag == recipe->tag);
  }
  SECTION("without a secret, literal variables stay build arguments") {
    jobspec::BuildSection literal = build;
    literal.env[0].value = jobspec::LiteralValue{"https://index"};
    const auto plain = make_build_recipe(literal, "job", kBase, environment({}));
    REQUIRE(plain.has_value());
    CHECK_FALSE(plain->commit_steps);
    CHECK(plain->dockerfile.find("ARG PIP_INDEX_URL\n") != std::string::npos);
  }
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
