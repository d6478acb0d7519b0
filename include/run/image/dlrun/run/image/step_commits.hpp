#pragma once

#include "dlrun/engine/client.hpp"
#include "dlrun/run/image/build_display.hpp"
#include "dlrun/run/image/build_recipe.hpp"

// The builder dlrun is itself, for a build whose variables include a secret: Docker's builders
// write a build argument's value into the image's history, so each step runs instead in a
// container of the previous step's image, the variables given to that step's process alone
// (exec), and the container is committed. Each step's image carries its cache key as a label,
// so an unchanged step is never run twice.
namespace dlrun::run {

// Tags the result as recipe.tag when every step succeeded; the base's Entrypoint and Cmd come
// back after the steps. Failure and cancellation come back as the
// engine's builders report them, with the step shown to `display`; no container is left.
Result<engine::BuildOutcome> build_by_commits(engine::EngineClient& client,
                                              const BuildRecipe& recipe, bool rebuild,
                                              BuildDisplay& display);

}  // namespace dlrun::run
