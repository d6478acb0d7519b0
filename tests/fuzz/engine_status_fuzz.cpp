// The daemon's words about time and state that dlrun reads as numbers: an RFC 3339 time
// (State.StartedAt, FinishedAt, Created), a container list's status ("Exited (137) 5 minutes
// ago") and the API-Version header.
#include "dlrun/engine/api_version.hpp"
#include "dlrun/engine/engine_time.hpp"
#include "dlrun/run/job/jobs.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const std::string_view text = fuzz::as_text(data, size);
  (void)engine::parse_engine_time(text);
  (void)run::parse_exited_status(text);
  if (const auto version = engine::parse_api_version(text)) {
    (void)(*version < engine::kMinimumApi);
    (void)version->to_string();
  }
  return 0;
}
