#include "dlrun/run/commands/job_address.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "dlrun/run/job/job.hpp"

namespace dlrun::run {

bool slurm_job_over(const SlurmJobStatus& status) {
  return slurm_job_finished(status.state) || status.state == "UNKNOWN";
}

JobAddresses::JobAddresses(Connect connect, const EnvLookup& env, std::string my_uid)
    : connect_(std::move(connect)), my_uid_(std::move(my_uid)) {
  if (auto dir = submitted_jobs_dir(env)) records_ = std::move(*dir);
}

std::optional<SubmittedRecord> JobAddresses::submitted(std::string_view reference) const {
  if (!records_) return std::nullopt;
  auto job = find_submitted(*records_, reference);
  if (!job) return std::nullopt;
  return SubmittedRecord{.dir = *records_, .job = std::move(*job)};
}

std::vector<SubmittedRecord> JobAddresses::all_submitted() const {
  std::vector<SubmittedRecord> all;
  if (!records_) return all;
  for (auto& job : submitted_jobs(*records_)) all.push_back({*records_, std::move(job)});
  return all;
}

Result<engine::EngineClient*> JobAddresses::engine() {
  if (!client_) {
    auto connected = connect_();
    if (!connected) return std::unexpected(connected.error());
    client_.emplace(std::move(*connected));
  }
  return &*client_;
}

Result<std::variant<SubmittedRecord, JobRecord>> JobAddresses::find(std::string_view reference) {
  if (auto record = submitted(reference)) return *record;
  auto client = engine();
  if (!client) return std::unexpected(client.error());
  auto job = find_job(**client, reference, my_uid_);
  if (!job) return std::unexpected(job.error());
  return *job;
}

namespace {

// Slurm's status of each record, asked at once.
Result<std::map<std::string, SlurmJobStatus>> statuses_of(
    const std::vector<SubmittedRecord>& records) {
  std::vector<SubmittedJob> jobs;
  jobs.reserve(records.size());
  for (const auto& record : records) jobs.push_back(record.job);
  return slurm_job_statuses(records.front().dir, jobs);
}

}  // namespace

Result<JobListing> list_all_jobs(JobAddresses& addresses, JobUsers users, JobStates states) {
  JobListing listing;
  if (auto records = addresses.all_submitted(); !records.empty()) {
    auto statuses = statuses_of(records);
    if (!statuses) {
      spdlog::warn("cannot ask Slurm about your submitted jobs: {}", statuses.error().message);
    } else {
      for (auto& record : records) {
        auto status = statuses->at(record.job.id);
        if (states == JobStates::active && slurm_job_over(status)) continue;
        listing.submitted.push_back({std::move(record.job), std::move(status)});
      }
    }
  }
  auto client = addresses.engine();
  if (!client && listing.submitted.empty()) return std::unexpected(client.error());
  if (!client) {
    spdlog::warn("{}; only your submitted Slurm jobs are shown", client.error().message);
    return listing;
  }
  auto jobs = list_jobs(**client, users, states, addresses.my_uid());
  if (!jobs) return std::unexpected(jobs.error());
  for (auto& job : *jobs) {
    std::optional<Ending> ending;
    if (job.state == "exited" && job.exit_code) {
      // A job removed since the list was read (by its own train) keeps what its code says.
      ending =
          job_ending(**client, job).value_or(ending_of(*job.exit_code, false, job.has_timeout));
    }
    listing.engine_jobs.push_back({std::move(job), ending});
  }
  return listing;
}

Result<void> show_job_logs(JobAddresses& addresses, std::string_view reference,
                           const LogsRequest& request, int stdout_fd, int stderr_fd) {
  auto found = addresses.find(reference);
  if (!found) return std::unexpected(found.error());
  if (const auto* record = std::get_if<SubmittedRecord>(&*found)) {
    if (request.since) {
      return fail(ErrorKind::usage,
                  "--since is for jobs on the engine; Slurm job " + record->job.id +
                      "'s output is a file without times",
                  "use --tail N, or read " + record->job.output.string());
    }
    return submitted_job_logs(record->dir, record->job, request.tail, request.follow, stdout_fd);
  }
  auto client = addresses.engine();
  if (!client) return std::unexpected(client.error());
  const engine::LogsQuery query{
      .follow = request.follow ? engine::LogsFollow::follow : engine::LogsFollow::no,
      .tail = request.tail,
      .since = request.since};
  return job_logs(**client, std::get<JobRecord>(*found), query, stdout_fd, stderr_fd);
}

Result<int> attach_to_job(JobAddresses& addresses, std::string_view reference,
                          std::optional<int> tail, SignalWatcher& signals) {
  auto found = addresses.find(reference);
  if (!found) return std::unexpected(found.error());
  if (const auto* record = std::get_if<SubmittedRecord>(&*found)) {
    // A Slurm job's output is a file: follow it to the job's end, then its exit code.
    auto shown = submitted_job_logs(record->dir, record->job, tail, true, 1);
    if (!shown) return std::unexpected(shown.error());
    auto outcome = wait_for_submitted(record->dir, record->job);
    if (!outcome) return std::unexpected(outcome.error());
    return outcome->exit_code;
  }
  auto client = addresses.engine();
  if (!client) return std::unexpected(client.error());
  const JobRecord& job = std::get<JobRecord>(*found);
  return attach_job(**client, job.id, {.tail = tail, .has_timeout = job.has_timeout}, signals);
}

Result<WaitOutcome> wait_for_end(JobAddresses& addresses, std::string_view reference) {
  auto found = addresses.find(reference);
  if (!found) return std::unexpected(found.error());
  if (const auto* record = std::get_if<SubmittedRecord>(&*found)) {
    auto outcome = wait_for_submitted(record->dir, record->job);
    if (!outcome) return std::unexpected(outcome.error());
    return WaitOutcome{.id = record->job.id,
                       .name = record->job.name,
                       .exit_code = outcome->exit_code,
                       .reason = outcome->reason,
                       .on_engine = std::nullopt,
                       .slurm = true};
  }
  auto client = addresses.engine();
  if (!client) return std::unexpected(client.error());
  const JobRecord& job = std::get<JobRecord>(*found);
  auto result = wait_for_job(**client, job);
  if (!result) return std::unexpected(result.error());
  return WaitOutcome{.id = job.id,
                     .name = job.name,
                     .exit_code = result->exit_code,
                     .reason = std::string(ending_name(result->ending)),
                     .on_engine = *result,
                     .slurm = false};
}

Result<JobAction> stop_job(JobAddresses& addresses, std::string_view reference, int grace_seconds) {
  auto found = addresses.find(reference);
  if (!found) return std::unexpected(found.error());
  if (const auto* record = std::get_if<SubmittedRecord>(&*found)) {
    if (auto cancelled = cancel_submitted(record->job); !cancelled) {
      return std::unexpected(cancelled.error());
    }
    return JobAction{record->job.id, record->job.name, "cancelled"};
  }
  auto client = addresses.engine();
  if (!client) return std::unexpected(client.error());
  const JobRecord& job = std::get<JobRecord>(*found);
  if (auto stopped = (*client)->stop_container(job.id, grace_seconds); !stopped)
    return std::unexpected(stopped.error());
  return JobAction{job.id, job.name, "stopped"};
}

namespace {

// A submitted Slurm job named for removal must be over.
Result<void> check_over(const SubmittedRecord& record) {
  auto status = slurm_job_status(record.dir, record.job);
  if (!status) return std::unexpected(status.error());
  if (slurm_job_over(*status)) return {};
  return fail(ErrorKind::usage,
              "Slurm job " + record.job.id + " (" + record.job.name + ") is still " +
                  slurm_state_name(*status),
              "stop it first: dlrun stop " + record.job.id);
}

Result<void> check_not_running(const JobRecord& job) {
  if (job.state != "running" && job.state != "restarting") return {};
  return fail(ErrorKind::usage,
              "job " + job.id.substr(0, 12) + " (" + job.name + ") is still running",
              "stop it first: dlrun stop " + job.id.substr(0, 12));
}

}  // namespace

Result<void> remove_jobs(JobAddresses& addresses, const std::vector<std::string>& references,
                         FinishedJobs finished,
                         const std::function<void(const JobAction&)>& report) {
  std::vector<JobRecord> jobs;
  std::vector<SubmittedRecord> submitted;
  if (finished == FinishedJobs::all) {
    auto client = addresses.engine();
    if (!client) return std::unexpected(client.error());
    auto mine = list_jobs(**client, JobUsers::mine, JobStates::all, addresses.my_uid());
    if (!mine) return std::unexpected(mine.error());
    for (auto& job : *mine) {
      if (job.state == "exited" || job.state == "dead") jobs.push_back(std::move(job));
    }
    if (auto records = addresses.all_submitted(); !records.empty()) {
      if (auto statuses = statuses_of(records); statuses) {
        for (auto& record : records) {
          if (slurm_job_over(statuses->at(record.job.id))) submitted.push_back(std::move(record));
        }
      }
    }
  }
  // Every named job is checked before anything is removed.
  for (const auto& reference : references) {
    auto found = addresses.find(reference);
    if (!found) return std::unexpected(found.error());
    if (auto* record = std::get_if<SubmittedRecord>(&*found)) {
      if (auto over = check_over(*record); !over) return std::unexpected(over.error());
      submitted.push_back(std::move(*record));
      continue;
    }
    auto& job = std::get<JobRecord>(*found);
    if (auto stopped = check_not_running(job); !stopped) return std::unexpected(stopped.error());
    jobs.push_back(std::move(job));
  }
  for (const auto& job : jobs) {
    auto client = addresses.engine();
    if (!client) return std::unexpected(client.error());
    if (auto removed = (*client)->remove_container(job.id); !removed)
      return std::unexpected(removed.error());
    report({job.id, job.name, "removed"});
  }
  for (const auto& [dir, job] : submitted) {
    forget_submitted(dir, job);
    report({job.id, job.name, "removed"});
  }
  return {};
}

}  // namespace dlrun::run
