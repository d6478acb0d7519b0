#include "dlrun/run/image/image_build.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "dlrun/engine/image_ref.hpp"
#include "dlrun/run/image/build_display.hpp"
#include "dlrun/run/image/step_commits.hpp"

namespace dlrun::run {
namespace {

// "The command '/bin/sh -c …' returned a non-zero code: 100" → " (exit code 100)".
// BuildKit: "… did not complete successfully: exit code: 100" (20.10: "executor failed running
// […]: exit code: 100"). Podman's buildah: "building at STEP \"RUN …\": while running runtime:
// exit status 100".
std::string step_exit(std::string builder_error) {
  while (!builder_error.empty() && std::isspace(static_cast<unsigned char>(builder_error.back())))
    builder_error.pop_back();
  for (const std::string_view marker :
       {"returned a non-zero code: ", "exit code: ", "exit status "}) {
    const auto at = builder_error.rfind(marker);
    if (at != std::string::npos) {
      return " (exit code " + builder_error.substr(at + marker.size()) + ")";
    }
  }
  return " (" + builder_error + ")";
}

// The base's digest in the repository it was named by ("pytorch/pytorch@sha256:…"), else the
// first the engine knows; empty for an image never pulled.
std::string registry_digest(const std::string& base, const std::vector<std::string>& digests) {
  std::string repository;
  if (const auto ref = engine::parse_image_ref(base)) {
    repository =
        ref->registry == "docker.io" ? ref->repository : ref->registry + "/" + ref->repository;
    if (repository.starts_with("library/"))
      repository.erase(0, std::string_view("library/").size());
  }
  for (const auto& digest : digests) {
    if (digest.substr(0, digest.find('@')) == repository) return digest;
  }
  return digests.empty() ? std::string() : digests.front();
}

}  // namespace

Result<BuiltImage> build_job_image(engine::EngineClient& client, const jobspec::BuildSection& build,
                                   const std::string& job_name, const std::string& base,
                                   const engine::ImageDetails& base_details,
                                   const ImageBuildOptions& options, const EnvLookup& env,
                                   SignalWatcher& signals) {
  auto recipe =
      make_build_recipe(build, job_name,
                        {.reference = base,
                         .id = base_details.id,
                         .user = base_details.user,
                         .digest = registry_digest(base, base_details.repo_digests),
                         .entrypoint = base_details.entrypoint,
                         .cmd = base_details.cmd},
                        env, client.has_buildkit() ? BuildFlavor::buildkit : BuildFlavor::classic);
  if (!recipe) return std::unexpected(recipe.error());
  return supply_built_image(client, *recipe, options, signals);
}

Result<BuiltImage> supply_built_image(engine::EngineClient& client, const BuildRecipe& recipe,
                                      const ImageBuildOptions& options, SignalWatcher& signals) {
  if (!options.rebuild) {
    auto present = client.inspect_image(recipe.tag);
    if (!present) return std::unexpected(present.error());
    if (auto& details = *present) {
      spdlog::info("image {}: built before from the same base and build section", recipe.tag);
      return BuiltImage{recipe.tag, std::move(*details), false};
    }
  }
  spdlog::info("building {} (the spec's \"build\" section)", recipe.tag);
  BuildDisplay display(recipe.steps, options.display, signals);
  auto outcome = recipe.commit_steps
                     ? build_by_commits(client, recipe, options.rebuild, display)
                     : client.build_image({.context_tar = recipe.context_tar,
                                           .tag = recipe.tag,
                                           .build_args = recipe.build_args,
                                           .network = recipe.network,
                                           .no_cache = options.rebuild,
                                           .buildkit = recipe.flavor == BuildFlavor::buildkit,
                                           .registry_config = options.registry_config},
                                          display);
  display.clear_live_line();
  if (!outcome) return std::unexpected(outcome.error());
  using End = engine::BuildOutcome::End;
  if (outcome->end == End::cancelled) {
    const SignalOutcome& signal = signal_outcome(display.signal().value_or(SIGINT));
    return fail(signal.kind,
                std::string(signal.words) + " while building " + recipe.tag +
                    "; the build was cancelled, no image was tagged and nothing was started",
                "run again: the steps that finished are cached by the engine");
  }
  if (outcome->end == End::failed) {
    std::string message = "the job's image could not be built";
    if (!display.step().empty()) message += ": step " + display.step() + " failed";
    message += step_exit(outcome->error);
    const std::string output = display.last_lines();
    if (!output.empty()) message += "; its last output:\n" + output;
    return fail(ErrorKind::build_failed, message,
                "fix the package name or version in the spec's \"build\" section (the output "
                "above says which); `dlrun build --print SPEC` shows the Dockerfile");
  }
  auto built = client.inspect_image(recipe.tag);
  if (!built) return std::unexpected(built.error());
  if (!*built) {
    return fail(ErrorKind::engine, "the daemon reported building " + recipe.tag + " but lacks it",
                "run with --log-level debug to see the exchange");
  }
  return BuiltImage{recipe.tag, std::move(**built), true};
}

}  // namespace dlrun::run
