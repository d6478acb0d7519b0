#include "dlrun/run/job/orphans.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "dlrun/run/plan/labels.hpp"
#include "dlrun/run/slurm/slurm_allocation.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"

namespace dlrun::run {
namespace {

std::string label(const engine::ContainerSummary& container, std::string_view name) {
  const auto found = container.labels.find(std::string(name));
  return found == container.labels.end() ? std::string() : found->second;
}

Orphan orphan_of(const engine::ContainerSummary& container) {
  const std::string job = label(container, kJobLabel);
  // A build step's process 1 only waits for its dlrun to commit the step: without that dlrun
  // there is nothing left to wait for, so it counts as finished whatever the engine says.
  const bool build_step = job == kBuildStepJobName;
  return {
      .id = container.id,
      .name = container.name,
      .job = job,
      .running = !build_step && (container.state == "running" || container.state == "restarting" ||
                                 container.state == "paused"),
      .slurm_job = label(container, kSlurmJobLabel)};
}

}  // namespace

Result<std::vector<Orphan>> find_orphans(engine::EngineClient& client,
                                         const std::filesystem::path& proc_root) {
  auto containers = client.list_containers_with_label(std::string(kManagedLabel) + "=true");
  if (!containers) return std::unexpected(containers.error());
  std::vector<Orphan> orphans;
  for (const auto& container : *containers) {
    // A job its dlrun left running on purpose (a hang-up) is not an orphan.
    if (container.name.ends_with(kDetachedSuffix)) continue;
    const std::string owner = label(container, kOwnerLabel);
    if (owner.empty() || owner_state(owner, proc_root) != OwnerState::gone) continue;
    Orphan orphan = orphan_of(container);
    // Slurm may give its GPUs to the next job already; only Slurm can say (nullopt: unknown,
    // so left as any running orphan is).
    if (orphan.running && !orphan.slurm_job.empty()) {
      orphan.slurm_over = slurm_job_alive(orphan.slurm_job) == std::optional(false);
    }
    orphans.push_back(std::move(orphan));
  }
  return orphans;
}

Result<std::vector<Orphan>> slurm_job_containers(engine::EngineClient& client,
                                                 const std::string& slurm_job) {
  auto containers =
      client.list_containers_with_label(std::string(kSlurmJobLabel) + "=" + slurm_job);
  if (!containers) return std::unexpected(containers.error());
  std::vector<Orphan> found;
  for (const auto& container : *containers) {
    if (label(container, kManagedLabel) != "true") continue;
    Orphan orphan = orphan_of(container);
    orphan.slurm_over = true;
    found.push_back(std::move(orphan));
  }
  return found;
}

Result<void> clean_orphans(engine::EngineClient& client, RunningOrphans running, CleanMode mode,
                           const std::function<void(const Cleaned&)>& report,
                           const std::string& slurm_job) {
  auto orphans = slurm_job.empty() ? find_orphans(client) : slurm_job_containers(client, slurm_job);
  if (!orphans) return std::unexpected(orphans.error());
  for (const auto& orphan : *orphans) {
    using Action = Cleaned::Action;
    if (orphan.running && !orphan.slurm_over && running == RunningOrphans::leave) {
      report({orphan, Action::left_running});
    } else if (mode == CleanMode::dry_run) {
      report({orphan, Action::would_remove});
    } else if (auto removed = client.remove_container(orphan.id); !removed) {
      return std::unexpected(removed.error());
    } else {
      report({orphan, Action::removed});
    }
  }
  return {};
}

std::string describe(const Orphan& orphan) {
  return orphan.name + (orphan.job.empty() ? "" : " (job " + orphan.job + ")");
}

void remove_finished_orphans(engine::EngineClient& client) {
  auto orphans = run::find_orphans(client);
  if (!orphans) {
    spdlog::warn("could not look for containers left by killed dlruns: {}",
                 orphans.error().message);
    return;
  }
  for (const auto& orphan : *orphans) {
    if (orphan.running && orphan.slurm_over) {
      if (auto removed = client.remove_container(orphan.id); removed) {
        spdlog::info("stopped and removed {}: its dlrun was killed and Slurm job {} is over",
                     describe(orphan), orphan.slurm_job);
      } else {
        spdlog::warn("could not remove {}: {}", describe(orphan), removed.error().message);
      }
    } else if (orphan.running) {
      spdlog::warn(
          "{} still runs, but the dlrun that started it was killed; `dlrun clean "
          "--running` stops and removes it",
          describe(orphan));
    } else if (auto removed = client.remove_container(orphan.id); removed) {
      spdlog::info("removed {}, left behind by a dlrun that was killed", describe(orphan));
    } else {
      spdlog::warn("could not remove {}: {}", describe(orphan), removed.error().message);
    }
  }
}

}  // namespace dlrun::run
