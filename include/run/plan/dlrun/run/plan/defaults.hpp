#pragma once

#include <string>
#include <string_view>

// dlrun's training defaults are preferences, not demands: where a daemon refuses one (a rootless
// or restricted daemon cannot raise memlock), the job runs with the daemon's own value, and the
// user is told once what that means and how to fix the daemon.
namespace dlrun::run {

// (A plan leaves a refused default to the daemon when it is made: make_plan, PlanInputs::refused.)

// One line: which default the daemon at `daemon` refused, what the job gets instead, what that
// means for training, and how to fix the daemon. `learned` says when it was found out, if
// earlier than this run.
std::string gave_way_warning(std::string_view setting, std::string_view daemon,
                             std::string_view learned = {});

}  // namespace dlrun::run
