#pragma once

#include <string>
#include <string_view>

#include "dlrun/engine/engine_identity.hpp"
#include "dlrun/run/host/engine_profile.hpp"

// dlrun's training defaults are preferences, not demands: where a daemon refuses one (a rootless
// or restricted daemon cannot raise memlock), the job runs with the daemon's own value, and the
// user is told once what that means and how to fix the daemon.
namespace dlrun::run {

// (A plan leaves a refused default to the daemon when it is made: make_plan, PlanInputs::refused.)

// One line: which default `engine` at `address` refused, what the job gets instead, what that
// means for training, and how to fix the engine (dockerd's way or Podman's). `learned` says
// when it was found out, if earlier than this run.
std::string gave_way_warning(std::string_view setting, const engine::EngineIdentity& engine,
                             std::string_view address, std::string_view learned = {});

// One line for an engine that applies none of dlrun's limits whatever it is asked (a rootless
// Podman): which the job goes without, why, and the fix.
std::string unenforced_limits_warning(const EngineProfile& engine, std::string_view address);

}  // namespace dlrun::run
