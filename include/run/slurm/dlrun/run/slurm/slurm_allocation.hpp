#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/user_files.hpp"

// A dlrun run inside a Slurm allocation (srun, sbatch): Slurm decided which GPUs, CPUs and memory
// the job has, and the container, a child of the Docker daemon outside the job's cgroup, must be
// held to them by dlrun.
namespace dlrun::run {

struct SlurmAllocation {
  std::string job_id;
  std::string step_id;            // empty in a batch script outside any step
  std::vector<std::string> gpus;  // device indexes (SLURM_STEP_GPUS, else SLURM_JOB_GPUS)
  std::string gpus_from;          // the variable they came from, for messages
  std::optional<double> cpus;     // SLURM_CPUS_ON_NODE
  std::optional<std::int64_t> memory_bytes;  // SLURM_MEM_PER_NODE, or per CPU × CPUs
  std::optional<int> node_id;                // SLURM_NODEID: this node's rank in the job
  std::optional<int> nodes;                  // SLURM_NNODES
  std::string nodelist;                      // SLURM_JOB_NODELIST: "gpu[01-04]"
};

// The allocation this process runs in, read from Slurm's variables; nullopt outside Slurm.
std::optional<SlurmAllocation> slurm_allocation(const EnvLookup& env);

// The spec held to the allocation: "all" GPUs are the allocated ones (never CUDA_VISIBLE_DEVICES,
// which Slurm may renumber), a count takes the first allocated, named ones must be allocated;
// CPUs and memory default to the allocation's. Asking for more than Slurm gave is refused with
// both numbers.
Result<void> fit_to_allocation(jobspec::JobSpec& spec, const SlurmAllocation& allocation);

// The stop grace for a job inside Slurm: Slurm SIGKILLs dlrun KillWait seconds after its
// SIGTERM (scancel, the time limit), so dlrun's SIGTERM-to-SIGKILL of the container must end
// in time for it to remove the container too. dlrun's own 10 s where KillWait is unknown or long.
int stop_grace_within(std::optional<int> kill_wait_seconds);

}  // namespace dlrun::run
