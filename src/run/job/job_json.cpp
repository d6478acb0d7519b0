#include "dlrun/run/job/job_json.hpp"

#include "dlrun/exit_codes.hpp"
#include "dlrun/run/job/gpu_failures.hpp"

namespace dlrun::run {

nlohmann::ordered_json gpu_failure_json(std::string_view id) {
  const GpuFailure* failure = find_gpu_failure(id);
  if (failure == nullptr) return nullptr;
  return {{"id", failure->id}, {"what", failure->what}, {"fix", failure->fix}};
}

nlohmann::ordered_json attempts_json(const std::vector<Attempt>& attempts) {
  const auto or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
  };
  auto list = nlohmann::ordered_json::array();
  for (const Attempt& attempt : attempts) {
    list.push_back({{"attempt", attempt.number},
                    {"container", attempt.container},
                    {"exit_code", attempt.exit.exit_code},
                    {"reason", ending_name(attempt.exit.ending)},
                    {"gpu_failure", gpu_failure_json(attempt.exit.gpu_failure)},
                    {"retried_for", or_null(attempt.retry_reason)},
                    {"resume_from", or_null(attempt.resume_from)},
                    {"seconds", attempt.seconds}});
  }
  return list;
}

}  // namespace dlrun::run
