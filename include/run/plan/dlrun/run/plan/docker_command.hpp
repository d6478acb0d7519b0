#pragma once

#include <string>

#include "dlrun/run/plan/plan.hpp"

namespace dlrun::run {

// An equivalent `docker run` command line, shell-quoted. Secrets appear as references to the
// host variable they come from, never as values.
std::string docker_run_command(const ContainerPlan& plan);

}  // namespace dlrun::run
