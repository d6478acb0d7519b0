#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/run/slurm/slurm_allocation.hpp"

// One job over several nodes: which node this is, where its first node is, and the variables
// torchrun reads to meet there. From Slurm inside an allocation, else from the command line.
namespace dlrun::run {

// `dlrun train --nodes N --node-rank R --master-addr HOST [--master-port P]`.
struct NodePlacement {
  std::optional<int> nodes;
  std::optional<int> node_rank;
  std::optional<std::string> master_addr;
  std::optional<int> master_port;
};

// Gives a distributed spec (or one the flags make distributed) the host network and MASTER_ADDR,
// MASTER_PORT, NNODES, NODE_RANK, NPROC_PER_NODE and RDZV_ID, unless the spec sets them itself.
// Nothing to do for a job on one node that asked for none of it.
Result<void> wire_distributed(jobspec::JobSpec& spec, const std::optional<SlurmAllocation>& slurm,
                              const NodePlacement& flags);

// The RDMA devices a distributed job's NCCL uses over InfiniBand/RoCE: the character devices in
// `dir` (uverbs0, rdma_cm, umad0, …); none on a host without them.
std::vector<std::string> rdma_devices(const std::filesystem::path& dir = "/dev/infiniband");

// The first host of a Slurm host list: "gpu[03-05,07],cpu1" → "gpu03".
std::string first_host(std::string_view nodelist);

}  // namespace dlrun::run
