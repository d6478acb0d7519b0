#pragma once

#include <map>
#include <string>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/user_files.hpp"

// What dlrun builds from a spec's "build" section: a Dockerfile on top of the job's image, the
// context it needs (the requirements file, nothing of the job's data or code), and the tag that
// names the result by its content, so that an unchanged build is never run twice.
namespace dlrun::run {

struct BaseImage {
  std::string reference;  // as the user knows it: "pytorch/pytorch:2.3.1-…"
  std::string id;         // sha256:…, what the Dockerfile builds FROM
  std::string user;       // its Config.User, restored after the build's steps run as root
};

struct BuildRecipe {
  std::string dockerfile;
  std::string context_tar;
  std::string hash;  // hex sha256 of the base's id, the build section, the files it names
  std::string tag;   // dlrun/<job name>:<first 16 of hash>
  std::map<std::string, std::string> build_args;  // values read now, secrets included
  std::map<std::string, std::string> labels;      // the image's record of how it was made
  std::string network;                            // "", "host", "none"
  // Each Dockerfile instruction in the spec's words, in order: the builder's "Step 4/7" is
  // steps[3] ("apt-get install libsndfile1").
  std::vector<std::string> steps;
};

inline constexpr std::string_view kBuildRepository = "dlrun/";
inline constexpr std::string_view kBuildHashLabel = "dlrun.build.hash";
inline constexpr std::string_view kBuildBaseLabel = "dlrun.build.base";
inline constexpr std::string_view kBuildBaseIdLabel = "dlrun.build.base-id";

// Reads the requirements file and the build's `from_env` variables now; a missing one is a
// usage error naming its field.
Result<BuildRecipe> make_build_recipe(const jobspec::BuildSection& build,
                                      const std::string& job_name, const BaseImage& base,
                                      const EnvLookup& env);

}  // namespace dlrun::run
