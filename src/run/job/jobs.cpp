#include "dlrun/run/job/jobs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>

#include "dlrun/engine/engine_time.hpp"
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/run/job/gpu_failures.hpp"
#include "dlrun/run/job/job.hpp"
#include "dlrun/run/job/output.hpp"
#include "dlrun/run/plan/labels.hpp"

namespace dlrun::run {
namespace {

std::string label_of(const engine::ContainerSummary& container, std::string_view key) {
  const auto found = container.labels.find(std::string(key));
  return found == container.labels.end() ? std::string() : found->second;
}

// As people write it, whatever the engine's words: Podman lists docker.io/dlrun/job:1 where
// Docker lists dlrun/job:1. (An image id, where the image is gone, stays as it is.)
std::string familiar_image(const std::string& image) {
  if (image.starts_with("sha256:")) return image;
  const auto ref = engine::parse_image_ref(image);
  return ref ? ref->familiar() : image;
}

JobRecord record_of(const engine::ContainerSummary& container) {
  JobRecord job{.id = container.id,
                .container = container.name,
                .name = label_of(container, kJobLabel),
                .state = container.state,
                .status = container.status,
                .image = familiar_image(container.image),
                .base_image = label_of(container, kBaseImageLabel),
                .created = container.created,
                .user = label_of(container, kUserLabel),
                .owner = label_of(container, kOwnerLabel),
                .gpus = label_of(container, kGpusLabel),
                .has_timeout = !label_of(container, kTimeoutLabel).empty(),
                .attempt = label_of(container, kAttemptLabel)};
  if (container.state == "exited") {
    if (auto exited = parse_exited_status(container.status)) {
      job.exit_code = exited->exit_code;
      job.ended_ago = exited->ago_seconds;
    }
  }
  return job;
}

// Docker's rounded durations (go-units HumanDuration) back to seconds: "5 minutes" → 300.
std::optional<std::int64_t> parse_human_duration(std::string_view text) {
  if (text == "Less than a second") return 0;
  if (text == "About a minute") return 60;
  if (text == "About an hour") return 3600;
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (ec != std::errc{} || end == text.data() + text.size() || *end != ' ') return std::nullopt;
  std::string_view unit(end + 1, static_cast<std::size_t>(text.data() + text.size() - end - 1));
  if (unit.ends_with('s')) unit.remove_suffix(1);
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"second", 1},       {"minute", 60},        {"hour", 3600},       {"day", 86400},
      {"week", 7 * 86400}, {"month", 30 * 86400}, {"year", 365 * 86400}};
  for (const auto& [name, seconds] : kUnits) {
    if (unit != name) continue;
    if (count < 0 || count > std::numeric_limits<std::int64_t>::max() / seconds)
      return std::nullopt;
    return count * seconds;
  }
  return std::nullopt;
}

// doctor's probes and a build's steps: dlrun's containers, but no one's jobs.
bool is_helper_container(const JobRecord& job) {
  return job.name == kProbeJobName || job.name == kBuildStepJobName;
}

}  // namespace

std::optional<ExitedStatus> parse_exited_status(std::string_view status) {
  constexpr std::string_view kPrefix = "Exited (";
  if (!status.starts_with(kPrefix)) return std::nullopt;
  status.remove_prefix(kPrefix.size());
  ExitedStatus exited;
  const auto [end, ec] =
      std::from_chars(status.data(), status.data() + status.size(), exited.exit_code);
  if (ec != std::errc{} || end == status.data() + status.size() || *end != ')') return std::nullopt;
  std::string_view rest(end + 1, static_cast<std::size_t>(status.data() + status.size() - end - 1));
  if (rest.size() > 4 && rest.starts_with(' ') && rest.ends_with(" ago")) {
    rest.remove_prefix(1);
    rest.remove_suffix(4);
    exited.ago_seconds = parse_human_duration(rest);
  }
  return exited;
}

Result<Ending> job_ending(engine::EngineClient& client, const JobRecord& job) {
  if (!job.exit_code) return Ending::running;
  bool oom_killed = false;
  if (*job.exit_code == exit_code::oom_killed) {
    auto state = client.inspect_container(job.id);
    if (!state) return std::unexpected(state.error());
    oom_killed = was_oom_killed(client, job.id, *state);
  }
  return ending_of(*job.exit_code, oom_killed, job.has_timeout);
}

Result<std::vector<JobRecord>> list_jobs(engine::EngineClient& client, JobUsers users,
                                         JobStates states, std::string_view my_uid) {
  auto containers = client.list_containers_with_label(std::string(kManagedLabel) + "=true");
  if (!containers) return std::unexpected(containers.error());
  std::vector<JobRecord> jobs;
  for (const auto& container : *containers) {
    JobRecord job = record_of(container);
    if (is_helper_container(job)) continue;
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

Result<void> job_logs(engine::EngineClient& client, const JobRecord& job,
                      const engine::LogsQuery& query, int stdout_fd, int stderr_fd) {
  OutputForwarder output(stdout_fd, stderr_fd, {});
  auto streamed = client.container_logs(job.id, query, output);
  output.finish();
  if (!streamed) return std::unexpected(streamed.error());
  if (const auto& failure = output.failure()) return std::unexpected(*failure);
  return {};
}

Result<JobResult> wait_for_job(engine::EngineClient& client, const JobRecord& job) {
  auto status = client.wait_container(job.id, engine::WaitCondition::not_running, {});
  if (!status) return std::unexpected(status.error());
  auto exit = job_exit(client, job.id, static_cast<int>(*status), job.has_timeout);
  if (!exit) return std::unexpected(exit.error());
  auto state = client.inspect_container(job.id);
  if (!state) return std::unexpected(state.error());
  JobResult result{.exit_code = exit->exit_code,
                   .ending = exit->ending,
                   .started_at = state->started_at,
                   .finished_at = state->finished_at,
                   .image = state->image.empty() ? job.image : state->image};
  const auto started = engine::parse_engine_time(state->started_at);
  const auto finished = engine::parse_engine_time(state->finished_at);
  if (started && finished) result.duration_seconds = std::max(0.0, *finished - *started);
  if (result.ending == Ending::timed_out) {
    spdlog::error("the job ran past its timeout and was stopped");
  }
  // A failed job's kept log is read back, its end only, as a followed job's output is.
  if (result.ending == Ending::failed || result.ending == Ending::killed) {
    constexpr int kLastLines = 200;
    OutputTail tail;
    if (client.container_logs(job.id, {.tail = kLastLines}, tail)) {
      if (const GpuFailure* failure = recognize_gpu_failure(tail.text())) {
        say_gpu_failure(*failure);
        result.gpu_failure = failure->id;
      }
    }
  }
  return result;
}

}  // namespace dlrun::run
