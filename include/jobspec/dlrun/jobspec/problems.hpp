#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"

namespace dlrun::jobspec {

// One mistake in a spec, located by its JSON path ("resources.shm_size", "mounts[1].source").
struct SpecProblem {
  std::string path;
  std::string message;
  std::string hint;

  bool operator==(const SpecProblem&) const = default;
};
using SpecProblems = std::vector<SpecProblem>;

// All problems as one user-facing error; `source` names the spec ("train.json").
Error to_error(const SpecProblems& problems, std::string_view source);

}  // namespace dlrun::jobspec
