#include "dlrun/run/slurm/slurm_allocation.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "dlrun/run/plan/plan.hpp"

namespace dlrun::run {
namespace {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (const auto item = text.substr(0, comma); !item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<std::int64_t> whole_number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value <= 0) return std::nullopt;
  return value;
}

std::string listed(const std::vector<std::string>& gpus) {
  std::string text;
  for (const auto& gpu : gpus) text += (text.empty() ? "" : ",") + gpu;
  return text;
}

std::string count_of(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " GPU" : " GPUs");
}

}  // namespace

std::optional<SlurmAllocation> slurm_allocation(const EnvLookup& env) {
  auto job_id = env("SLURM_JOB_ID");
  if (!job_id || job_id->empty()) return std::nullopt;
  SlurmAllocation allocation{.job_id = *job_id, .step_id = env("SLURM_STEP_ID").value_or("")};
  // A step's own GPUs first: within one job, each srun may have been given a part of them.
  for (const char* variable : {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS"}) {
    if (auto gpus = env(variable); gpus && !gpus->empty()) {
      allocation.gpus = split_list(*gpus);
      allocation.gpus_from = variable;
      break;
    }
  }
  if (auto cpus = whole_number(env("SLURM_CPUS_ON_NODE"))) {
    allocation.cpus = static_cast<double>(*cpus);
  }
  allocation.nodelist = env("SLURM_JOB_NODELIST").value_or("");
  if (auto nodes = whole_number(env("SLURM_NNODES"))) allocation.nodes = static_cast<int>(*nodes);
  // Node 0's id is 0, which whole_number (positive counts) refuses.
  if (auto node = env("SLURM_NODEID"); node == "0") {
    allocation.node_id = 0;
  } else if (auto id = whole_number(node)) {
    allocation.node_id = static_cast<int>(*id);
  }
  constexpr std::int64_t kMebibyte = 1 << 20;
  // Mebibytes past what bytes can count are no limit dlrun can pass on (found by tests/fuzz).
  constexpr std::int64_t kMostMebibytes = std::numeric_limits<std::int64_t>::max() / kMebibyte;
  if (auto per_node = whole_number(env("SLURM_MEM_PER_NODE"));
      per_node && *per_node <= kMostMebibytes) {
    allocation.memory_bytes = *per_node * kMebibyte;
  } else if (auto per_cpu = whole_number(env("SLURM_MEM_PER_CPU"));
             per_cpu && allocation.cpus &&
             static_cast<double>(*per_cpu) * *allocation.cpus <=
                 static_cast<double>(kMostMebibytes)) {
    allocation.memory_bytes = *per_cpu * kMebibyte * static_cast<std::int64_t>(*allocation.cpus);
  }
  return allocation;
}

Result<void> fit_to_allocation(jobspec::JobSpec& spec, const SlurmAllocation& allocation) {
  const std::string given =
      allocation.gpus.empty()
          ? "Slurm job " + allocation.job_id + " was given no GPUs on this node"
          : "Slurm job " + allocation.job_id + " was given " + count_of(allocation.gpus.size()) +
                " on this node (" + allocation.gpus_from + "=" + listed(allocation.gpus) + ")";
  const std::string hint =
      "ask Slurm for them (srun --gres=gpu:N, or --gpus-per-node), or fewer in the spec's "
      "\"gpus\"";
  if (std::holds_alternative<jobspec::GpuAll>(spec.gpus)) {
    if (allocation.gpus.empty()) {
      return fail(ErrorKind::usage, "the job asks for all GPUs, but " + given, hint);
    }
    spec.gpus = jobspec::GpuList{allocation.gpus};
  } else if (const auto* count = std::get_if<jobspec::GpuCount>(&spec.gpus)) {
    const auto wanted = static_cast<std::size_t>(count->count);
    if (wanted > allocation.gpus.size()) {
      return fail(ErrorKind::usage, "the job asks for " + count_of(wanted) + ", but " + given,
                  hint);
    }
    spec.gpus = jobspec::GpuList{
        {allocation.gpus.begin(), allocation.gpus.begin() + static_cast<std::ptrdiff_t>(wanted)}};
  } else if (const auto* list = std::get_if<jobspec::GpuList>(&spec.gpus)) {
    for (const auto& id : list->ids) {
      if (std::find(allocation.gpus.begin(), allocation.gpus.end(), id) == allocation.gpus.end()) {
        return fail(ErrorKind::usage, "the job asks for GPU " + id + ", but " + given,
                    "name only allocated GPUs, or write \"gpus\": \"all\" for Slurm's");
      }
    }
  }
  if (!spec.resources.cpus && allocation.cpus) spec.resources.cpus = allocation.cpus;
  if (!spec.resources.memory_bytes && allocation.memory_bytes) {
    spec.resources.memory_bytes = allocation.memory_bytes;
  }
  return {};
}

int stop_grace_within(std::optional<int> kill_wait_seconds) {
  if (!kill_wait_seconds) return kStopGraceSeconds;
  // Two seconds for the daemon's SIGKILL and the removal after it.
  return std::clamp(*kill_wait_seconds - 2, 1, kStopGraceSeconds);
}

}  // namespace dlrun::run
