// The spec's sizes and durations, the --gpus flag and version constraints: every short text a
// spec field, a flag or an environment variable hands the jobspec layer. A value read back from
// its own formatting must be the same value.
#include <cstdio>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/version_number.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const std::string_view text = fuzz::as_text(data, size);
  if (const auto bytes = jobspec::parse_size(text)) {
    if (*bytes <= 0) std::abort();
    if (jobspec::parse_size(jobspec::format_size(*bytes)) != bytes) {
      std::fprintf(stderr, "size %lld does not survive its formatting\n",
                   static_cast<long long>(*bytes));
      std::abort();
    }
  }
  if (const auto seconds = jobspec::parse_duration(text)) {
    if (seconds->count() <= 0) std::abort();
    if (jobspec::parse_duration(jobspec::format_duration(*seconds)) != seconds) {
      std::fprintf(stderr, "duration %lld s does not survive its formatting\n",
                   static_cast<long long>(seconds->count()));
      std::abort();
    }
  }
  (void)jobspec::read_duration(text);
  (void)jobspec::read_pull_policy(text);
  (void)jobspec::parse_gpu_flag(text);
  (void)jobspec::check_job_name(text);
  (void)jobspec::check_host_path(text);
  if (const auto constraint = VersionConstraint::parse(text)) {
    if (const auto version = Version::parse(text)) (void)constraint->allows(*version);
    (void)constraint->allows(Version({2, 3, 1}));
  }
  return 0;
}
