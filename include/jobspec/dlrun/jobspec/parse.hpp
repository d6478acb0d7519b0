#pragma once

#include <expected>
#include <filesystem>
#include <string_view>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/jobspec/problems.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::jobspec {

// Parses a version-1 spec. Relative host paths resolve against `base_dir`, "~/" against the
// environment's HOME; a spec without a `name` is called `default_name`. Reads no files, so every
// problem is found here at once.
std::expected<JobSpec, SpecProblems> parse_job_spec(std::string_view text,
                                                    const std::filesystem::path& base_dir,
                                                    std::string_view default_name,
                                                    const EnvLookup& env = process_environment());

struct LoadedSpec {
  JobSpec spec;
  std::string digest;  // of the file's bytes
  std::string text;    // the bytes, as the run record keeps them
};

// Reads `file` and parses it; errors name the file.
Result<LoadedSpec> load_job_spec(const std::filesystem::path& file,
                                 const EnvLookup& env = process_environment());

// "all", "2", "0,2", "GPU-…": the --gpus flag's syntax. The error is a one-line reason.
std::expected<GpuRequest, std::string> parse_gpu_flag(std::string_view text);

// A GPU index ("0") or UUID ("GPU-…", "MIG-…") as nvidia-smi -L shows them.
bool is_gpu_id(std::string_view id);

}  // namespace dlrun::jobspec
