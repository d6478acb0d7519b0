#include "dlrun/run/slurm/distributed.hpp"

#include <algorithm>

namespace dlrun::run {
namespace {

int gpus_of(const jobspec::GpuRequest& gpus) {
  if (const auto* count = std::get_if<jobspec::GpuCount>(&gpus)) return count->count;
  if (const auto* list = std::get_if<jobspec::GpuList>(&gpus)) {
    return static_cast<int>(list->ids.size());
  }
  return 1;  // all GPUs, or none: one process per node unless the spec says how many
}

void set_unless_given(jobspec::JobSpec& spec, const std::string& name, const std::string& value) {
  const bool given =
      std::any_of(spec.env.begin(), spec.env.end(),
                  [&](const jobspec::EnvVar& variable) { return variable.name == name; });
  if (!given) spec.env.push_back({name, jobspec::LiteralValue{value}});
}

}  // namespace

std::string first_host(std::string_view nodelist) {
  const std::string_view first = nodelist.substr(0, nodelist.find_first_of(",["));
  if (nodelist.size() == first.size() || nodelist[first.size()] != '[') return std::string(first);
  // prefix[03-05,07]: the range's first number, its zeros kept.
  const std::string_view ranges = nodelist.substr(first.size() + 1);
  return std::string(first) + std::string(ranges.substr(0, ranges.find_first_of("-,]")));
}

Result<void> wire_distributed(jobspec::JobSpec& spec, const std::optional<SlurmAllocation>& slurm,
                              const NodePlacement& flags) {
  if (!spec.distributed && !flags.nodes) return {};
  jobspec::Distributed distributed = spec.distributed.value_or(jobspec::Distributed{});
  if (flags.nodes) distributed.nodes = *flags.nodes;
  if (flags.master_port) distributed.master_port = *flags.master_port;
  const int nodes = distributed.nodes;
  const std::string hint =
      "inside a Slurm allocation dlrun reads them from Slurm; elsewhere give --node-rank and "
      "--master-addr on every node (docs/distributed.md)";

  if (slurm && slurm->nodes && *slurm->nodes != nodes) {
    return fail(ErrorKind::usage,
                "the job spans " + std::to_string(nodes) + " nodes, but Slurm job " +
                    slurm->job_id + " has " + std::to_string(*slurm->nodes),
                "ask Slurm for as many nodes (--nodes) as \"distributed\".nodes says");
  }
  std::optional<int> rank = flags.node_rank;
  if (!rank && slurm) rank = slurm->node_id;
  if (!rank && nodes == 1) rank = 0;
  if (!rank) return fail(ErrorKind::usage, "which of the job's nodes this is is unknown", hint);
  if (*rank < 0 || *rank >= nodes) {
    return fail(ErrorKind::usage,
                "node rank " + std::to_string(*rank) + " is not one of the job's " +
                    std::to_string(nodes) + " nodes (0 to " + std::to_string(nodes - 1) + ")",
                hint);
  }
  std::optional<std::string> master = flags.master_addr;
  if (!master && slurm && !slurm->nodelist.empty()) master = first_host(slurm->nodelist);
  if (!master && nodes == 1) master = "127.0.0.1";
  if (!master) return fail(ErrorKind::usage, "the job's first node (MASTER_ADDR) is unknown", hint);

  // NCCL and the rendezvous reach the other nodes directly: the container needs the host's
  // network.
  if (spec.network == jobspec::NetworkMode::none) {
    return fail(ErrorKind::usage, "a distributed job cannot run with \"network\": \"none\"",
                "its nodes meet over the network: drop \"network\", or set it to \"host\"");
  }
  spec.network = jobspec::NetworkMode::host;
  if (distributed.gpus_per_node && std::holds_alternative<jobspec::GpuNone>(spec.gpus)) {
    spec.gpus = jobspec::GpuCount{*distributed.gpus_per_node};
  }
  const int per_node = distributed.gpus_per_node.value_or(gpus_of(spec.gpus));
  set_unless_given(spec, "MASTER_ADDR", *master);
  set_unless_given(spec, "MASTER_PORT", std::to_string(distributed.master_port));
  set_unless_given(spec, "NNODES", std::to_string(nodes));
  set_unless_given(spec, "NODE_RANK", std::to_string(*rank));
  set_unless_given(spec, "NPROC_PER_NODE", std::to_string(per_node));
  set_unless_given(spec, "RDZV_ID", slurm ? slurm->job_id : "dlrun-" + spec.name);
  spec.distributed = distributed;
  return {};
}

std::vector<std::string> rdma_devices(const std::filesystem::path& dir) {
  std::vector<std::string> devices;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_character_file(ec)) devices.push_back(entry.path().string());
  }
  std::sort(devices.begin(), devices.end());
  return devices;
}

}  // namespace dlrun::run
