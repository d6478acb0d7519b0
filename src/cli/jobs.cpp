#include "jobs.hpp"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dlrun/engine/engine_time.hpp"
#include "dlrun/jobspec/fields.hpp"
#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/job/job.hpp"
#include "dlrun/run/job/jobs.hpp"
#include "dlrun/run/slurm/slurm_jobs.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kJobHelp =
    R"(JOB is a job's id, an unambiguous prefix of it (3 characters or more), or its name
when only one job has it, or the id of a Slurm job that dlrun submit gave. Your own jobs
only: another user's is refused.)";

// The engine, connected on first need: a command about Slurm jobs alone needs no engine (a
// login node may have none).
class LazyEngine {
 public:
  explicit LazyEngine(const GlobalOptions& global) : global_(global) {}
  Result<engine::EngineClient*> get() {
    if (!client_) {
      auto connected = connect_to(global_);
      if (!connected) return std::unexpected(connected.error());
      client_.emplace(std::move(*connected));
    }
    return &*client_;
  }

 private:
  const GlobalOptions& global_;
  std::optional<engine::EngineClient> client_;
};

// Where dlrun submit keeps its records; nullopt without HOME (then there are none).
std::optional<std::filesystem::path> submitted_dir() {
  auto dir = run::submitted_jobs_dir(process_environment());
  return dir ? std::optional(*dir) : std::nullopt;
}

// A job dlrun submit gave, with the directory that holds its record.
struct Submitted {
  std::filesystem::path dir;
  run::SubmittedJob job;
};

// The Slurm job `reference` names, when it is one dlrun submit gave (its id).
std::optional<Submitted> submitted_job(std::string_view reference) {
  const auto dir = submitted_dir();
  if (!dir) return std::nullopt;
  auto job = run::find_submitted(*dir, reference);
  if (!job) return std::nullopt;
  return Submitted{.dir = *dir, .job = std::move(*job)};
}

bool slurm_job_over(const run::SlurmJobStatus& status) {
  return run::slurm_job_finished(status.state) || status.state == "UNKNOWN";
}

std::string started_at(std::int64_t seconds) {
  const std::time_t time = seconds;
  std::tm parts{};
  localtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &parts);
  return text;
}

struct PsOptions {
  bool all = false;
  bool all_users = false;
  std::string output = "text";
};

std::string user_name(const std::string& uid) {
  unsigned long number = 0;
  const auto [end, ec] = std::from_chars(uid.data(), uid.data() + uid.size(), number);
  if (ec != std::errc{} || end != uid.data() + uid.size()) return uid;
  const passwd* entry = getpwuid(static_cast<uid_t>(number));
  return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : uid;
}

// "45s", "12m", "3h05m", "2d04h".
std::string short_duration(std::int64_t seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof text, "%lldm", static_cast<long long>(seconds / 60));
  } else if (seconds < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  }
  return text;
}

// How long the job ran, from the list alone: exact while it runs; for a finished job the daemon's
// rounded "5 minutes ago" makes it approximate (marked ~ where that rounding shows).
struct RunTime {
  std::optional<std::int64_t> seconds;
  bool approximate = false;
};
RunTime run_time(const run::JobRecord& job, std::int64_t now) {
  if (job.state == "running") return {now - job.created, false};
  if (!job.ended_ago) return {};
  return {std::max<std::int64_t>(0, now - *job.ended_ago - job.created), *job.ended_ago >= 60};
}

// The jobs dlrun submit gave Slurm, as ps shows them: active ones, or all with -a.
struct SubmittedRow {
  run::SubmittedJob job;
  run::SlurmJobStatus status;
};
std::vector<SubmittedRow> submitted_rows(const PsOptions& options) {
  std::vector<SubmittedRow> rows;
  const auto dir = submitted_dir();
  if (!dir) return rows;
  auto jobs = run::submitted_jobs(*dir);
  if (jobs.empty()) return rows;
  auto statuses = run::slurm_job_statuses(*dir, jobs);
  if (!statuses) {
    spdlog::warn("cannot ask Slurm about your submitted jobs: {}", statuses.error().message);
    return rows;
  }
  for (auto& job : jobs) {
    auto status = statuses->at(job.id);
    if (!options.all && slurm_job_over(status)) continue;
    rows.push_back({std::move(job), std::move(status)});
  }
  return rows;
}

nlohmann::ordered_json submitted_json(const SubmittedRow& row) {
  const bool over = slurm_job_over(row.status);
  const auto outcome = run::slurm_outcome(row.status);
  const std::string uid = invoking_uid();
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
  };
  return {{"id", row.job.id},
          {"name", row.job.name},
          {"container", nullptr},
          {"state", run::slurm_state_name(row.status)},
          {"exit_code", over && row.status.state != "UNKNOWN"
                            ? nlohmann::ordered_json(outcome.exit_code)
                            : nlohmann::ordered_json(nullptr)},
          {"image", nullptr},
          {"base_image", nullptr},
          {"gpus", nullptr},
          {"created", row.job.submitted},
          {"duration_seconds", nullptr},
          {"user", uid},
          {"user_name", user_name(uid)},
          {"status",
           row.status.state + (row.status.reason.empty() ? "" : " (" + row.status.reason + ")")},
          {"slurm",
           {{"job_id", row.job.id},
            {"state", row.status.state},
            {"reason", text_or_null(row.status.reason)},
            {"partition", text_or_null(row.status.partition)},
            {"nodes", row.job.nodes},
            {"nodelist", text_or_null(row.status.nodelist)},
            {"time_limit", text_or_null(row.status.time_limit)},
            {"run_time", text_or_null(row.status.run_time)},
            {"output", row.job.output.string()}}}};
}

void print_submitted_table(const std::vector<SubmittedRow>& rows) {
  std::printf("%-10s  %-20s  %-22s  %-5s  %-10s  %-16s  %-10s  %s\n", "SLURM JOB", "NAME", "STATE",
              "NODES", "PARTITION", "SUBMITTED", "RUN TIME", "OUTPUT");
  for (const auto& row : rows) {
    std::string state = run::slurm_state_name(row.status);
    if (!row.status.reason.empty() && !slurm_job_over(row.status)) {
      state += " (" + row.status.reason + ")";
    }
    std::printf("%-10s  %-20s  %-22s  %-5d  %-10s  %-16s  %-10s  %s\n", row.job.id.c_str(),
                row.job.name.c_str(), state.c_str(), row.job.nodes,
                row.status.partition.empty() ? "-" : row.status.partition.c_str(),
                started_at(row.job.submitted).c_str(),
                row.status.run_time.empty() ? "-" : row.status.run_time.c_str(),
                row.job.output.c_str());
  }
}

Result<int> run_ps(const PsOptions& options, const GlobalOptions& global) {
  const auto submitted = submitted_rows(options);
  auto client = connect_to(global);
  if (!client && submitted.empty()) return std::unexpected(client.error());
  if (!client) {
    spdlog::warn("{}; only your submitted Slurm jobs are shown", client.error().message);
  }
  auto jobs = client
                  ? run::list_jobs(
                        *client, options.all_users ? run::JobUsers::everyone : run::JobUsers::mine,
                        options.all ? run::JobStates::all : run::JobStates::active, invoking_uid())
                  : Result<std::vector<run::JobRecord>>(std::vector<run::JobRecord>{});
  if (!jobs) return std::unexpected(jobs.error());
  const std::int64_t now = std::time(nullptr);
  struct Row {
    const run::JobRecord* job;
    std::string state;
    std::string state_name;
    RunTime ran;
  };
  std::vector<Row> rows;
  for (const auto& job : *jobs) {
    Row row{&job, job.state, job.state, run_time(job, now)};
    if (job.state == "exited" && job.exit_code) {
      // A job removed since the list was read (by its own train) keeps what its code says.
      const auto ending =
          run::job_ending(*client, job).value_or(ending_of(*job.exit_code, false, job.has_timeout));
      row.state = ending_words(ending, job.exit_code);
      row.state_name = std::string(ending_name(ending));
    }
    rows.push_back(std::move(row));
  }
  if (options.output == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& row : rows) {
      const auto& job = *row.job;
      out.push_back(
          {{"id", job.id},
           {"name", job.name},
           {"container", job.container},
           {"state", row.state_name},
           {"exit_code", job.exit_code ? nlohmann::ordered_json(*job.exit_code) : nullptr},
           {"image", job.image},
           {"base_image", job.base_image.empty() ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(job.base_image)},
           {"gpus",
            job.gpus.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(job.gpus)},
           {"created", job.created},
           {"duration_seconds",
            row.ran.seconds ? nlohmann::ordered_json(*row.ran.seconds) : nullptr},
           {"user", job.user},
           {"user_name", user_name(job.user)},
           {"status", job.status}});
    }
    for (const auto& row : submitted) out.push_back(submitted_json(row));
    std::printf("%s\n", json_text(out).c_str());
    return exit_code::ok;
  }
  if (rows.empty() && !submitted.empty()) {
    print_submitted_table(submitted);
    return exit_code::ok;
  }
  std::printf("%-12s  %-20s  %-14s  %-5s  %-16s  %-8s  %-10s  %s\n", "ID", "NAME", "STATE", "GPUS",
              "STARTED", "DURATION", "OWNER", "IMAGE");
  for (const auto& row : rows) {
    const auto& job = *row.job;
    const std::string ran =
        row.ran.seconds ? (row.ran.approximate ? "~" : "") + short_duration(*row.ran.seconds) : "-";
    std::printf(
        "%-12s  %-20s  %-14s  %-5s  %-16s  %-8s  %-10s  %s\n", job.id.substr(0, 12).c_str(),
        job.name.c_str(), row.state.c_str(), job.gpus.empty() ? "-" : job.gpus.c_str(),
        started_at(job.created).c_str(), ran.c_str(), user_name(job.user).c_str(),
        (job.base_image.empty() ? job.image : job.image + " (on " + job.base_image + ")").c_str());
  }
  if (!submitted.empty()) {
    std::printf("\n");
    print_submitted_table(submitted);
  }
  return exit_code::ok;
}

struct LogsOptions {
  std::string job;
  bool follow = false;
  std::optional<int> tail;
  std::string since;
};

// --since as docker logs takes it: a duration back from now ("10m", "2h30m"), seconds since the
// epoch, or a UTC time ("2026-11-30T09:00:00Z").
Result<std::int64_t> read_since(const std::string& text) {
  std::int64_t seconds = 0;
  if (const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      ec == std::errc{} && end == text.data() + text.size()) {
    return seconds;
  }
  if (auto time = engine::parse_engine_time(text)) return static_cast<std::int64_t>(*time);
  if (auto duration = jobspec::read_duration(text)) {
    return static_cast<std::int64_t>(std::time(nullptr)) - duration->count();
  }
  return fail(ErrorKind::usage, "--since " + text + " is not a time",
              "give a duration back from now (\"10m\", \"2h\"), seconds since the epoch, or "
              "a UTC time such as 2026-11-30T09:00:00Z");
}

Result<int> run_logs(const LogsOptions& options, const GlobalOptions& global) {
  if (auto submitted = submitted_job(options.job)) {
    if (!options.since.empty()) {
      return fail(ErrorKind::usage,
                  "--since is for jobs on the engine; Slurm job " + submitted->job.id +
                      "'s output is a file without times",
                  "use --tail N, or read " + submitted->job.output.string());
    }
    auto shown =
        run::submitted_job_logs(submitted->dir, submitted->job, options.tail, options.follow, 1);
    if (!shown) return std::unexpected(shown.error());
    return exit_code::ok;
  }
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  auto job = run::find_job(*client, options.job, invoking_uid());
  if (!job) return std::unexpected(job.error());
  engine::LogsQuery query{
      .follow = options.follow ? engine::LogsFollow::follow : engine::LogsFollow::no,
      .tail = options.tail};
  if (!options.since.empty()) {
    auto since = read_since(options.since);
    if (!since) return std::unexpected(since.error());
    query.since = *since;
  }
  auto shown = run::job_logs(*client, *job, query, 1, 2);
  if (!shown) return std::unexpected(shown.error());
  return exit_code::ok;
}

struct AttachOptions {
  std::string job;
  std::optional<int> tail;
};

Result<int> run_attach(const AttachOptions& options, const GlobalOptions& global) {
  // Before any thread exists, so that every thread inherits the blocked signals.
  SignalWatcher signals;
  if (auto submitted = submitted_job(options.job)) {
    // A Slurm job's output is a file: follow it to the job's end, then its exit code.
    auto shown = run::submitted_job_logs(submitted->dir, submitted->job, options.tail, true, 1);
    if (!shown) return std::unexpected(shown.error());
    auto outcome = run::wait_for_submitted(submitted->dir, submitted->job);
    if (!outcome) return std::unexpected(outcome.error());
    return outcome->exit_code;
  }
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  auto job = run::find_job(*client, options.job, invoking_uid());
  if (!job) return std::unexpected(job.error());
  return run::attach_job(*client, job->id, {.tail = options.tail, .has_timeout = job->has_timeout},
                         signals);
}

Result<int> run_wait(const std::vector<std::string>& references, const std::string& output,
                     const GlobalOptions& global) {
  LazyEngine engine(global);
  int last = exit_code::ok;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& reference : references) {
    if (auto submitted = submitted_job(reference)) {
      auto outcome = run::wait_for_submitted(submitted->dir, submitted->job);
      if (!outcome) return std::unexpected(outcome.error());
      last = outcome->exit_code;
      if (output != "json") {
        if (outcome->reason == "time_limit") {
          spdlog::warn("Slurm job {} ({}) reached its time limit and was stopped",
                       submitted->job.id, submitted->job.name);
        } else if (outcome->reason == "cancelled") {
          spdlog::warn("Slurm job {} ({}) was cancelled", submitted->job.id, submitted->job.name);
        }
      }
      results.push_back({{"id", submitted->job.id},
                         {"name", submitted->job.name},
                         {"exit_code", outcome->exit_code},
                         {"reason", outcome->reason},
                         {"slurm_job", submitted->job.id}});
      continue;
    }
    auto client = engine.get();
    if (!client) return std::unexpected(client.error());
    auto job = run::find_job(**client, reference, invoking_uid());
    if (!job) return std::unexpected(job.error());
    auto result = run::wait_for_job(**client, *job);
    if (!result) return std::unexpected(result.error());
    last = result->exit_code;
    results.push_back({{"id", job->id},
                       {"name", job->name},
                       {"exit_code", result->exit_code},
                       {"reason", ending_name(result->ending)},
                       {"started", result->started_at},
                       {"finished", result->finished_at},
                       {"duration_seconds", result->duration_seconds},
                       {"image", result->image}});
  }
  if (output == "json") std::printf("%s\n", json_text(results).c_str());
  return last;
}

// What stop and rm did, a line each, or one JSON array of {id, name, action}.
class ActionReport {
 public:
  explicit ActionReport(std::string_view output) : json_(output == "json") {}
  void add(const run::JobRecord& job, std::string_view action) {
    if (json_) {
      done_.push_back({{"id", job.id}, {"name", job.name}, {"action", action}});
    } else {
      std::printf("%s %s (%s)\n", std::string(action).c_str(), job.id.substr(0, 12).c_str(),
                  job.name.c_str());
    }
  }
  ~ActionReport() {
    if (json_) std::printf("%s\n", json_text(done_).c_str());
  }
  ActionReport(const ActionReport&) = delete;
  ActionReport& operator=(const ActionReport&) = delete;

 private:
  bool json_;
  nlohmann::ordered_json done_ = nlohmann::ordered_json::array();
};

Result<int> run_stop(const std::vector<std::string>& references, int grace,
                     const std::string& output, const GlobalOptions& global) {
  LazyEngine engine(global);
  ActionReport report(output);
  for (const auto& reference : references) {
    if (auto submitted = submitted_job(reference)) {
      if (auto cancelled = run::cancel_submitted(submitted->job); !cancelled) {
        return std::unexpected(cancelled.error());
      }
      report.add({.id = submitted->job.id, .name = submitted->job.name}, "cancelled");
      continue;
    }
    auto client = engine.get();
    if (!client) return std::unexpected(client.error());
    auto job = run::find_job(**client, reference, invoking_uid());
    if (!job) return std::unexpected(job.error());
    if (auto stopped = (*client)->stop_container(job->id, grace); !stopped)
      return std::unexpected(stopped.error());
    report.add(*job, "stopped");
  }
  return exit_code::ok;
}

// A submitted Slurm job's record and output, once the job is over.
Result<std::optional<Submitted>> finished_submitted(const std::string& reference) {
  auto submitted = submitted_job(reference);
  if (!submitted) return std::nullopt;
  const auto& job = submitted->job;
  auto status = run::slurm_job_status(submitted->dir, job);
  if (!status) return std::unexpected(status.error());
  if (!slurm_job_over(*status)) {
    return fail(
        ErrorKind::usage,
        "Slurm job " + job.id + " (" + job.name + ") is still " + run::slurm_state_name(*status),
        "stop it first: dlrun stop " + job.id);
  }
  return submitted;
}

Result<int> run_rm(const std::vector<std::string>& references, bool finished,
                   const std::string& output, const GlobalOptions& global) {
  LazyEngine engine(global);
  std::vector<run::JobRecord> jobs;
  std::vector<Submitted> submitted;
  if (finished) {
    auto client = engine.get();
    if (!client) return std::unexpected(client.error());
    auto mine = run::list_jobs(**client, run::JobUsers::mine, run::JobStates::all, invoking_uid());
    if (!mine) return std::unexpected(mine.error());
    for (auto& job : *mine) {
      if (job.state == "exited" || job.state == "dead") jobs.push_back(std::move(job));
    }
    if (const auto dir = submitted_dir()) {
      const auto records = run::submitted_jobs(*dir);
      if (auto statuses = run::slurm_job_statuses(*dir, records); statuses) {
        for (const auto& record : records) {
          if (slurm_job_over(statuses->at(record.id))) submitted.push_back({*dir, record});
        }
      }
    }
  }
  for (const auto& reference : references) {
    auto over = finished_submitted(reference);
    if (!over) return std::unexpected(over.error());
    if (auto& found = *over) {
      submitted.push_back(std::move(*found));
      continue;
    }
    auto client = engine.get();
    if (!client) return std::unexpected(client.error());
    auto job = run::find_job(**client, reference, invoking_uid());
    if (!job) return std::unexpected(job.error());
    if (job->state == "running" || job->state == "restarting") {
      return fail(ErrorKind::usage,
                  "job " + job->id.substr(0, 12) + " (" + job->name + ") is still running",
                  "stop it first: dlrun stop " + job->id.substr(0, 12));
    }
    jobs.push_back(std::move(*job));
  }
  ActionReport report(output);
  for (const auto& job : jobs) {
    auto client = engine.get();
    if (!client) return std::unexpected(client.error());
    if (auto removed = (*client)->remove_container(job.id); !removed)
      return std::unexpected(removed.error());
    report.add(job, "removed");
  }
  for (const auto& [dir, job] : submitted) {
    run::forget_submitted(dir, job);
    report.add({.id = job.id, .name = job.name}, "removed");
  }
  return exit_code::ok;
}

}  // namespace

void add_job_commands(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  const auto finish = [&exit_status](const Result<int>& result) {
    exit_status = result ? *result : report(result.error());
  };

  auto ps = std::make_shared<PsOptions>();
  CLI::App* ps_command = app.add_subcommand("ps", "List your dlrun jobs on the engine");
  ps_command->add_flag("-a,--all", ps->all, "Finished jobs too (kept until dlrun rm)");
  ps_command->add_flag("--all-users", ps->all_users, "Every user's jobs, not only yours");
  add_output_option(*ps_command, ps->output, "one array of jobs (docs/exit-codes.md)");
  ps_command->footer(R"(Examples:
  dlrun ps                  your running jobs
  dlrun ps -a --output json every job of yours, as one JSON array

One request to the engine: the labels on dlrun's containers are the record.
Exit codes: 0; 125 the engine failed.)");
  ps_command->callback([ps, &global, finish] { finish(run_ps(*ps, global)); });

  auto logs = std::make_shared<LogsOptions>();
  CLI::App* logs_command = app.add_subcommand("logs", "Show a job's output, kept by the engine");
  logs_command->add_option("job", logs->job, "The job (id, id prefix or name)")->required();
  logs_command->add_flag("-f,--follow", logs->follow, "Follow it until the job ends");
  logs_command->add_option("--tail", logs->tail, "Only the last N lines");
  logs_command->add_option("--since", logs->since,
                           "Only output after this: 10m, 2h (ago), epoch seconds, or a UTC time");
  logs_command->footer(std::string(R"(Examples:
  dlrun logs 3f2a           everything the job printed so far
  dlrun logs -f resnet      follow it to the end
  dlrun logs --since 10m --tail 100 3f2a   the last 100 lines of the last ten minutes

stdout to stdout, stderr to stderr, byte for byte.
)") + kJobHelp + "\nExit codes: 0; 2 no such job; 125 the engine failed.");
  logs_command->callback([logs, &global, finish] { finish(run_logs(*logs, global)); });

  auto attach = std::make_shared<AttachOptions>();
  CLI::App* attach_command =
      app.add_subcommand("attach", "Follow a running job again, to its end and exit code");
  attach_command->add_option("job", attach->job, "The job (id, id prefix or name)")->required();
  attach_command->add_option("--tail", attach->tail,
                             "Replay only the last N lines of what it printed so far (0: none)");
  attach_command->footer(
      std::string(R"(Examples:
  dlrun attach 3f2a           everything it printed so far, then the rest as it comes
  dlrun attach --tail 0 3f2a  only what it prints from now on

As if dlrun had never left it: stdout to stdout, stderr to stderr; exits with the job's exit
code as dlrun train would (124 timed out, 137 out of memory, …). Ctrl-C stops the job (SIGTERM,
then SIGKILL after 10 s; a second Ctrl-C kills it now); a lost terminal (SIGHUP) leaves it
running, as train does.
)") + kJobHelp +
      "\nExit codes: the job's; 2 no such job; 125 the engine failed; 129 the terminal hung up.");
  attach_command->callback([attach, &global, finish] { finish(run_attach(*attach, global)); });

  auto waited = std::make_shared<std::vector<std::string>>();
  auto wait_output = std::make_shared<std::string>("text");
  CLI::App* wait_command = app.add_subcommand("wait", "Wait for jobs to end; exit with their code");
  wait_command->add_option("jobs", *waited, "The jobs")->required();
  add_output_option(*wait_command, *wait_output, "one array of results");
  wait_command->footer(std::string(R"(Examples:
  id=$(dlrun train -d train.json) && dlrun wait "$id"    in CI: start now, wait later

Exits with the (last) job's exit code as dlrun train would: its own, 124 when its timeout
struck, 137 for an out-of-memory kill. --output json prints one array of
{"id", "name", "exit_code", "reason", "started", "finished", "duration_seconds", "image"};
reason is succeeded, failed, timed_out, out_of_memory, killed or stopped.
)") + kJobHelp);
  wait_command->callback(
      [waited, wait_output, &global, finish] { finish(run_wait(*waited, *wait_output, global)); });

  auto stopped = std::make_shared<std::vector<std::string>>();
  auto grace = std::make_shared<int>(10);
  CLI::App* stop_command = app.add_subcommand("stop", "Stop jobs: SIGTERM, then SIGKILL");
  stop_command->add_option("jobs", *stopped, "The jobs")->required();
  stop_command->add_option("-t,--time", *grace, "Seconds between SIGTERM and SIGKILL (10)");
  auto stop_output = std::make_shared<std::string>("text");
  add_output_option(*stop_command, *stop_output, "one array of {id, name, action}");
  stop_command->footer(std::string("A stopped job stays until dlrun rm, with its log.\n") +
                       kJobHelp);
  stop_command->callback([stopped, grace, stop_output, &global, finish] {
    finish(run_stop(*stopped, *grace, *stop_output, global));
  });

  auto removed = std::make_shared<std::vector<std::string>>();
  auto finished = std::make_shared<bool>(false);
  CLI::App* rm_command = app.add_subcommand("rm", "Remove finished jobs and their logs");
  rm_command->add_option("jobs", *removed, "The jobs");
  rm_command->add_flag("--finished", *finished, "All of your finished jobs");
  auto rm_output = std::make_shared<std::string>("text");
  add_output_option(*rm_command, *rm_output, "one array of {id, name, action}");
  rm_command->footer(std::string("A running job is refused: dlrun stop it first.\n") + kJobHelp);
  rm_command->callback([removed, finished, rm_output, &global, finish] {
    finish(run_rm(*removed, *finished, *rm_output, global));
  });
}

}  // namespace dlrun::cli
