#pragma once

#include <string>
#include <vector>

#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/run/commands/train.hpp"

// `dlrun doctor`: can this host run GPU training jobs, and if not, what to fix.
namespace dlrun::doctor {

enum class CheckStatus { ok, warn, fail };

struct CheckResult {
  std::string name;  // "engine", "gpu path", …
  CheckStatus status = CheckStatus::ok;
  std::string detail;  // what was found
  std::string fix;     // what to do, for warn and fail
};

struct Report {
  std::vector<CheckResult> checks;
  bool failed() const;
};

// Runs every check; one that cannot run (the engine is unreachable, say) fails or warns
// rather than stopping the others.
// `catalog` answers "the newest image of each framework that fits this host".
Report examine(const run::Surroundings& surroundings, const resolve::HostFactsOverrides& overrides,
               const resolve::Catalog& catalog);

std::string_view status_name(CheckStatus status);

}  // namespace dlrun::doctor
