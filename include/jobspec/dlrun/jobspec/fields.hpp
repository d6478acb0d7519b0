#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "dlrun/jobspec/job_spec.hpp"

// One validator per spec field that can be written in more than one place (the spec's JSON,
// a flag, the user config), so that every entrance accepts and refuses the same values with the
// same words. Messages read after the field's name: "image: \"a b\" is not an image reference",
// "--image \"a b\" is not an image reference".
namespace dlrun::jobspec {

struct FieldProblem {
  std::string message;
  std::string hint;
};
using FieldCheck = std::optional<FieldProblem>;

// Any text in a spec: a NUL would be cut short by the daemon (and by every C API on the way).
FieldCheck check_text(std::string_view text);
FieldCheck check_job_name(std::string_view name);
FieldCheck check_image_reference(std::string_view image);
// A variable the job may set: a valid name, and not one dlrun sets from the GPU request.
FieldCheck check_env_name(std::string_view name);
FieldCheck check_registry_mirror(std::string_view registry, std::string_view mirror);
// A host path the spec names (outputs, a bind source): every component within NAME_MAX.
FieldCheck check_host_path(std::string_view path);

// A Debian package as apt-get install takes it: "name" or "name=version".
FieldCheck check_apt_package(const std::string& package);
// One pip requirement line ("transformers==4.44.2"); options belong in build.env.
FieldCheck check_pip_requirement(const std::string& requirement);
// The proxy variables Docker's builder passes to build steps without recording them.
bool is_build_proxy_variable(std::string_view name);

std::expected<std::chrono::seconds, FieldProblem> read_duration(std::string_view text);
std::expected<PullPolicy, FieldProblem> read_pull_policy(std::string_view text);
std::string_view pull_policy_name(PullPolicy policy);
std::expected<GpuPath, FieldProblem> parse_gpu_path(std::string_view text);
std::string_view gpu_path_name(GpuPath path);

// The names a job and its container may have.
bool is_valid_job_name(std::string_view name);

}  // namespace dlrun::jobspec
