#pragma once

#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/image/build_recipe.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "dlrun/signals.hpp"

namespace dlrun::run {

struct ImageBuildOptions {
  bool rebuild = false;  // build even when the tag exists, every step afresh
  PullDisplayMode display = PullDisplayMode::plain;
  std::string registry_config;  // the base's registry's credentials, as X-Registry-Config
};

struct BuiltImage {
  std::string tag;
  engine::ImageDetails details;
  bool built = false;  // false: the tag was there already, and nothing was built
};

// Makes the recipe's tag present on the engine: nothing to do when it is (one inspect), else a
// build whose output streams to stderr. A failed step comes back as a `build_failed` error with
// the step and the last lines of its output; a Ctrl-C cancels the build. Neither leaves a tag.
Result<BuiltImage> supply_built_image(engine::EngineClient& client, const BuildRecipe& recipe,
                                      const ImageBuildOptions& options, SignalWatcher& signals);

// The job's own image: the recipe of its "build" section on `base` (present on the engine, as
// `base_details` describe it), built unless it was before.
Result<BuiltImage> build_job_image(engine::EngineClient& client, const jobspec::BuildSection& build,
                                   const std::string& job_name, const std::string& base,
                                   const engine::ImageDetails& base_details,
                                   const ImageBuildOptions& options, const EnvLookup& env,
                                   SignalWatcher& signals);

}  // namespace dlrun::run
