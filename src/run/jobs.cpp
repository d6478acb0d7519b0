#include "dlrun/run/jobs.hpp"

#include <algorithm>

#include "dlrun/run/job.hpp"
#include "dlrun/run/labels.hpp"
#include "dlrun/run/output.hpp"

namespace dlrun::run {
namespace {

std::string label_of(const engine::ContainerSummary& container, std::string_view key) {
  const auto found = container.labels.find(std::string(key));
  return found == container.labels.end() ? std::string() : found->second;
}

JobRecord record_of(const engine::ContainerSummary& container) {
  return {.id = container.id,
          .container = container.name,
          .name = label_of(container, kJobLabel),
          .state = container.state,
          .status = container.status,
          .image = container.image,
          .created = container.created,
          .user = label_of(container, kUserLabel),
          .owner = label_of(container, kOwnerLabel)};
}

bool is_probe(const JobRecord& job) {
  return job.name == kProbeJobName;
}

}  // namespace

Result<std::vector<JobRecord>> list_jobs(engine::EngineClient& client, JobUsers users,
                                         JobStates states, std::string_view my_uid) {
  auto containers = client.list_containers_with_label(std::string(kManagedLabel) + "=true");
  if (!containers) return std::unexpected(containers.error());
  std::vector<JobRecord> jobs;
  for (const auto& container : *containers) {
    JobRecord job = record_of(container);
    if (is_probe(job)) continue;
    if (users == JobUsers::mine && job.user != my_uid) continue;
    if (states == JobStates::active && job.state != "running" && job.state != "created") continue;
    jobs.push_back(std::move(job));
  }
  std::sort(jobs.begin(), jobs.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.created > b.created; });
  return jobs;
}

Result<JobRecord> find_job(engine::EngineClient& client, std::string_view reference,
                           std::string_view my_uid) {
  auto jobs = list_jobs(client, JobUsers::everyone, JobStates::all, my_uid);
  if (!jobs) return std::unexpected(jobs.error());
  std::vector<JobRecord> matches;
  for (const auto& job : *jobs) {
    if (job.id == reference || job.container == reference) {
      matches = {job};  // exact: nothing else competes
      break;
    }
    const bool id_prefix = reference.size() >= 3 && job.id.starts_with(reference);
    if (id_prefix || job.name == reference) matches.push_back(job);
  }
  if (matches.empty()) {
    return fail(ErrorKind::usage, "no dlrun job \"" + std::string(reference) + "\" on this engine",
                "`dlrun ps -a` lists the jobs: give an id (a prefix will do) or a name");
  }
  if (matches.size() > 1) {
    std::string candidates;
    for (const auto& job : matches) {
      candidates += (candidates.empty() ? "" : ", ") + job.id.substr(0, 12) + " (" + job.name +
                    ", " + job.state + ")";
    }
    return fail(ErrorKind::usage,
                "\"" + std::string(reference) + "\" names more than one job: " + candidates,
                "give more of the id");
  }
  if (matches.front().user != my_uid) {
    return fail(ErrorKind::usage,
                "job " + matches.front().id.substr(0, 12) + " (" + matches.front().name +
                    ") belongs to uid " + matches.front().user + ", not to you",
                "only its owner (or root, with docker) may act on it");
  }
  return matches.front();
}

Result<void> job_logs(engine::EngineClient& client, const JobRecord& job, engine::LogsFollow follow,
                      std::optional<int> tail, int stdout_fd, int stderr_fd) {
  OutputForwarder output(stdout_fd, stderr_fd, {});
  auto streamed = client.container_logs(job.id, follow, tail, output);
  output.finish();
  if (!streamed) return std::unexpected(streamed.error());
  if (const auto& failure = output.failure()) return std::unexpected(*failure);
  return {};
}

Result<int> wait_for_job(engine::EngineClient& client, const JobRecord& job) {
  auto status = client.wait_container(job.id, engine::WaitCondition::not_running, {});
  if (!status) return std::unexpected(status.error());
  return job_exit_code(client, job.id, static_cast<int>(*status));
}

}  // namespace dlrun::run
