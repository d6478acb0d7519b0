#include "dlrun/jobspec/problems.hpp"

#include <cctype>

namespace dlrun::jobspec {

namespace {

Error summing_up(Error error, const SpecProblems& problems) {
  for (const auto& problem : problems) {
    error.details.push_back({problem.path, problem.message, problem.hint});
  }
  return error;
}

}  // namespace

Error to_error(const SpecProblems& problems, std::string_view source) {
  const auto located = [&](const SpecProblem& problem) {
    return problem.path.empty() ? problem.message : problem.path + ": " + problem.message;
  };
  if (problems.size() == 1) {
    // A JSON syntax error is located as line:column, which reads best glued to the file name.
    const bool at_line = !problems.front().path.empty() &&
                         std::isdigit(static_cast<unsigned char>(problems.front().path.front()));
    return summing_up(
        Error{ErrorKind::spec,
              std::string(source) + (at_line ? ":" : ": ") + located(problems.front()),
              problems.front().hint},
        problems);
  }
  std::string message =
      std::string(source) + " has " + std::to_string(problems.size()) + " problems:";
  for (const auto& problem : problems) {
    message += "\n  " + located(problem);
    if (!problem.hint.empty()) message += "\n    hint: " + problem.hint;
  }
  return summing_up(
      Error{ErrorKind::spec, message,
            "fix the fields above; `dlrun validate` re-checks the spec without running it"},
      problems);
}

}  // namespace dlrun::jobspec
