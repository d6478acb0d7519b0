#pragma once

#include <span>
#include <string_view>

// A job's last output read for the signs of a GPU failure: one table of what the CUDA runtime,
// NVML, NCCL and the driver print when a GPU fails under a job, with the likely cause, the fix,
// and where that comes from (docs/gpu-failures.md shows the same table).
namespace dlrun::run {

struct GpuFailure {
  std::string_view id;                      // stable, for --output json: "nvml-lost", …
  std::span<const std::string_view> signs;  // any of these in the output (exact text)
  std::string_view what;                    // what happened, as the error's first words
  std::string_view cause;                   // the likely cause
  std::string_view fix;                     // what to do
  std::string_view source;                  // where the text and the cause are documented
};

// Every failure dlrun recognizes, the most decisive first.
std::span<const GpuFailure> gpu_failures();

// The first failure of the table whose sign is in `last_output` (the end of what the job
// printed, both streams); nullptr when none is.
const GpuFailure* recognize_gpu_failure(std::string_view last_output);

// Tells it in one paragraph, as an OOM kill is told: what the output shows, the likely cause,
// and (as the hint) what to do and where that is documented.
void say_gpu_failure(const GpuFailure& failure);

// The failure with this id; nullptr for an empty or unknown one.
const GpuFailure* find_gpu_failure(std::string_view id);

}  // namespace dlrun::run
