// The job spec reader, as `dlrun train` and `dlrun validate` call it on a spec file's bytes, and
// the problems it finds as validate prints them: as text and as JSON (--output json).
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  static const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/fuzz";
    return std::nullopt;
  };
  auto spec = jobspec::parse_job_spec(fuzz::as_text(data, size), "/fuzz/specs", "job", env);
  if (spec) return 0;
  const Error error = jobspec::to_error(spec.error(), "fuzz.json");
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& detail : error.details) {
    problems.push_back({{"path", detail.path}, {"message", detail.message}, {"hint", detail.hint}});
  }
  // As `validate --output json` prints them (cli/common.hpp's json_text).
  (void)nlohmann::json{{"message", error.message}, {"hint", error.hint}, {"problems", problems}}
      .dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
