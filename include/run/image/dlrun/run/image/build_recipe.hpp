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
  std::string digest;     // "repository@sha256:…" it was pulled as; empty for a local image
  // Its Config.Entrypoint and Cmd, which a build that commits its own steps puts back.
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
};

struct BuildStep {
  std::string instruction;  // as written in the Dockerfile: "RUN …"
  std::string said;         // "build.apt: apt-get install libsndfile1"
  // What a step does to the filesystem, for builds that run their steps themselves
  // (commit_steps); none: FROM, USER, ARG, LABEL, which change only the config.
  enum class Action { none, run, copy_requirements } action = Action::none;
  std::string command;    // run: the shell command; copy_requirements: the file's path in the image
  std::string cache_key;  // run, copy: hex sha256 of everything the step's result depends on
};

// Which of the daemon's builders the Dockerfile is for: BuildKit's gets cache mounts for apt's
// and pip's downloads; the classic builder (Docker 20.10's default) has none.
enum class BuildFlavor { classic, buildkit };

struct BuildRecipe {
  std::string dockerfile;
  std::string context_tar;
  std::string hash;  // hex sha256 of the base's id, the build section, the files it names
  std::string tag;   // dlrun/<job name>:<first 16 of hash>
  std::map<std::string, std::string> build_args;  // values read now, secrets included
  std::map<std::string, std::string> labels;      // the image's record of how it was made
  std::string network;                            // "", "host", "none"
  // Each Dockerfile instruction and what it is in the spec's words, in order.
  std::vector<BuildStep> steps;
  BuildFlavor flavor = BuildFlavor::classic;
  // A variable that is a secret (from the host, not a proxy) cannot be a build argument, which
  // the builder writes into the history: dlrun then runs the steps itself, each in a container
  // with the variables, and commits it (image_build.hpp).
  bool commit_steps = false;
  BaseImage base;
  std::string requirements;  // the requirements file's content, copied in by its step
};

inline constexpr std::string_view kBuildRepository = "dlrun/";

// The repository part of a tag made from a job name: Docker's are lowercase, and separators
// sit only between letters and digits.
std::string build_repository(std::string_view job_name);

// Reads the requirements file and the build's `from_env` variables now; a missing one is a
// usage error naming its field.
Result<BuildRecipe> make_build_recipe(const jobspec::BuildSection& build,
                                      const std::string& job_name, const BaseImage& base,
                                      const EnvLookup& env,
                                      BuildFlavor flavor = BuildFlavor::classic);

}  // namespace dlrun::run
