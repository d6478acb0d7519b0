// What Slurm hands dlrun: the environment of an allocation (SLURM_STEP_GPUS, SLURM_JOB_GPUS,
// SLURM_CPUS_ON_NODE, SLURM_MEM_PER_NODE, SLURM_JOB_NODELIST, …), scontrol's one-line job, and
// a --time limit. The input is the environment as NAME=VALUE lines, then "\n%%\n", scontrol's
// line, then "\n%%\n", the time limit.
#include <map>

#include "dlrun/run/slurm/distributed.hpp"
#include "dlrun/run/slurm/slurm_allocation.hpp"
#include "dlrun/run/slurm/slurm_batch.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const auto parts = fuzz::split_input(fuzz::as_text(data, size), 3);

  std::map<std::string, std::string, std::less<>> variables;
  for (std::size_t begin = 0; begin < parts[0].size();) {
    const auto end = std::min(parts[0].find('\n', begin), parts[0].size());
    const auto line = parts[0].substr(begin, end - begin);
    if (const auto equals = line.find('='); equals != std::string_view::npos) {
      variables[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
    }
    begin = end + 1;
  }
  const EnvLookup env = [&variables](std::string_view name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
  if (auto allocation = run::slurm_allocation(env)) {
    for (const jobspec::GpuRequest& gpus :
         {jobspec::GpuRequest{jobspec::GpuAll{}}, jobspec::GpuRequest{jobspec::GpuCount{2}},
          jobspec::GpuRequest{jobspec::GpuList{{"1", "3"}}}}) {
      jobspec::JobSpec spec;
      spec.name = "fuzz";
      spec.gpus = gpus;
      (void)run::fit_to_allocation(spec, *allocation);
    }
    jobspec::JobSpec spec;
    spec.name = "fuzz";
    spec.distributed = jobspec::Distributed{.nodes = 2};
    (void)run::wire_distributed(spec, allocation, {});
    (void)run::first_host(allocation->nodelist);
  }

  const auto status = run::status_from_scontrol(run::parse_scontrol_job(parts[1]));
  (void)run::slurm_outcome(status);
  (void)run::slurm_state_name(status);
  (void)run::slurm_job_finished(status.state);
  (void)run::slurm_time_limit(parts[2]);
  return 0;
}
