#pragma once

#include <string_view>

#include "dlrun/jobspec/job_spec.hpp"

// The labels dlrun puts on its containers: the record of which containers are dlrun's, whose,
// and from which spec. Every reader and writer of them names them from here.
namespace dlrun::run {

inline constexpr std::string_view kManagedLabel = "dlrun.managed";     // "true"
inline constexpr std::string_view kJobLabel = "dlrun.job";             // the job's name
inline constexpr std::string_view kDigestLabel = "dlrun.spec-digest";  // "sha256:…" of the spec
// "<hostname>:<boot id>:<pid>:<start time>" of the dlrun that owns it (run/orphans.hpp).
inline constexpr std::string_view kOwnerLabel = "dlrun.owner";
inline constexpr std::string_view kUserLabel = "dlrun.user";  // the uid that ran it
inline constexpr std::string_view kGpusLabel = "dlrun.gpus";  // "all", "2", "0,3"; absent: none
// The spec's timeout in seconds; an exit of 124 then means dlrun-timeout stopped the job.
inline constexpr std::string_view kTimeoutLabel = "dlrun.timeout";
// Which attempt of its retry policy a container runs, of how many: "2/3" (docs/retries.md).
inline constexpr std::string_view kAttemptLabel = "dlrun.attempt";
// The image a job's own (built) image was made from: dlrun ps shows both.
inline constexpr std::string_view kBaseImageLabel = "dlrun.base-image";
// The Slurm job and step a container runs in (dlrun clean --slurm-job, ps).
inline constexpr std::string_view kSlurmJobLabel = "dlrun.slurm-job";
inline constexpr std::string_view kSlurmStepLabel = "dlrun.slurm-step";

// On the images dlrun builds (build.md): the recipe's hash, what it was built from, what it added.
inline constexpr std::string_view kBuildHashLabel = "dlrun.build.hash";
inline constexpr std::string_view kBuildBaseLabel = "dlrun.build.base";
inline constexpr std::string_view kBuildBaseIdLabel = "dlrun.build.base-id";
inline constexpr std::string_view kBuildBaseDigestLabel = "dlrun.build.base-digest";
inline constexpr std::string_view kBuildAptLabel = "dlrun.build.apt";
inline constexpr std::string_view kBuildPipLabel = "dlrun.build.pip";
inline constexpr std::string_view kBuildRequirementsLabel = "dlrun.build.requirements";
// A step image of a secret-carrying build: the key its unchanged step is found by again.
inline constexpr std::string_view kBuildStepLabel = "dlrun.build.step";
// Appended to the container's name when a foreground dlrun leaves its job running (a hang-up):
// labels cannot change after creation, and without it `dlrun clean` would take the job for the
// orphan of a killed dlrun, its owner being gone.
inline constexpr std::string_view kDetachedSuffix = "-detached";
// The job name of doctor's probe containers, which are no one's jobs.
inline constexpr std::string_view kProbeJobName = "doctor-probe";
// The job name of the containers a secret-carrying build runs its steps in (run/step_commits.hpp).
inline constexpr std::string_view kBuildStepJobName = "build-step";

static_assert(kManagedLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kJobLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kDigestLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kOwnerLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kUserLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kGpusLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kTimeoutLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kAttemptLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kBaseImageLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kSlurmJobLabel.starts_with(jobspec::kReservedLabelPrefix) &&
                  kSlurmStepLabel.starts_with(jobspec::kReservedLabelPrefix),
              "a spec may not set dlrun's own labels");

}  // namespace dlrun::run
