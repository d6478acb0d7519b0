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
#include "dlrun/run/commands/job_address.hpp"
#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/job/job_json.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kJobHelp =
    R"(JOB is a job's id, an unambiguous prefix of it (3 characters or more), or its name
when only one job has it, or the id of a Slurm job that dlrun submit gave. Your own jobs
only: another user's is refused.)";

// JOB arguments, each on the engine or in Slurm.
run::JobAddresses job_addresses(const GlobalOptions& global) {
  return run::JobAddresses([&global] { return connect_to(global); }, process_environment(),
                           invoking_uid());
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

nlohmann::ordered_json submitted_json(const run::SubmittedRow& row) {
  const bool over = run::slurm_job_over(row.status);
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

void print_submitted_table(const std::vector<run::SubmittedRow>& rows) {
  std::printf("%-10s  %-20s  %-22s  %-5s  %-10s  %-16s  %-10s  %s\n", "SLURM JOB", "NAME", "STATE",
              "NODES", "PARTITION", "SUBMITTED", "RUN TIME", "OUTPUT");
  for (const auto& row : rows) {
    std::string state = run::slurm_state_name(row.status);
    if (!row.status.reason.empty() && !run::slurm_job_over(row.status)) {
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

// Part `which` (0: the attempt, 1: of how many) of a dlrun.attempt label ("2/3"); null without.
nlohmann::ordered_json attempt_json(const std::string& label, int which) {
  const auto slash = label.find('/');
  if (slash == std::string::npos) return nullptr;
  const std::string part = which == 0 ? label.substr(0, slash) : label.substr(slash + 1);
  int number = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), number);
  if (ec != std::errc{} || end != part.data() + part.size()) return nullptr;
  return number;
}

Result<int> run_ps(const PsOptions& options, const GlobalOptions& global) {
  auto addresses = job_addresses(global);
  auto listing = run::list_all_jobs(
      addresses, options.all_users ? run::JobUsers::everyone : run::JobUsers::mine,
      options.all ? run::JobStates::all : run::JobStates::active);
  if (!listing) return std::unexpected(listing.error());
  const auto& submitted = listing->submitted;
  const std::int64_t now = std::time(nullptr);
  struct Row {
    const run::JobRecord* job;
    std::string state;
    std::string state_name;
    RunTime ran;
  };
  std::vector<Row> rows;
  for (const auto& [job, ending] : listing->engine_jobs) {
    Row row{&job, job.state, job.state, run_time(job, now)};
    if (ending) {
      row.state = ending_words(*ending, job.exit_code);
      row.state_name = std::string(ending_name(*ending));
    }
    if (!job.attempt.empty()) row.state += " (" + job.attempt + ")";
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
           {"attempt", attempt_json(job.attempt, 0)},
           {"attempts", attempt_json(job.attempt, 1)},
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
  run::LogsRequest request{.tail = options.tail, .follow = options.follow, .since = std::nullopt};
  if (!options.since.empty()) {
    auto since = read_since(options.since);
    if (!since) return std::unexpected(since.error());
    request.since = *since;
  }
  auto addresses = job_addresses(global);
  auto shown = run::show_job_logs(addresses, options.job, request, 1, 2);
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
  auto addresses = job_addresses(global);
  return run::attach_to_job(addresses, options.job, options.tail, signals);
}

Result<int> run_wait(const std::vector<std::string>& references, const std::string& output,
                     const GlobalOptions& global) {
  auto addresses = job_addresses(global);
  int last = exit_code::ok;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& reference : references) {
    auto outcome = run::wait_for_end(addresses, reference);
    if (!outcome) return std::unexpected(outcome.error());
    last = outcome->exit_code;
    nlohmann::ordered_json result{{"id", outcome->id},
                                  {"name", outcome->name},
                                  {"exit_code", outcome->exit_code},
                                  {"reason", outcome->reason}};
    if (outcome->slurm) {
      if (output != "json" && outcome->reason == "time_limit") {
        spdlog::warn("Slurm job {} ({}) reached its time limit and was stopped", outcome->id,
                     outcome->name);
      } else if (output != "json" && outcome->reason == "cancelled") {
        spdlog::warn("Slurm job {} ({}) was cancelled", outcome->id, outcome->name);
      }
      result["slurm_job"] = outcome->id;
    } else if (const auto& run = outcome->on_engine) {
      result["started"] = run->started_at;
      result["finished"] = run->finished_at;
      result["duration_seconds"] = run->duration_seconds;
      result["image"] = run->image;
      result["gpu_failure"] = run::gpu_failure_json(run->gpu_failure);
    }
    results.push_back(std::move(result));
  }
  if (output == "json") std::printf("%s\n", json_text(results).c_str());
  return last;
}

// What stop and rm did, a line each, or one JSON array of {id, name, action}.
class ActionReport {
 public:
  explicit ActionReport(std::string_view output) : json_(output == "json") {}
  void add(const run::JobAction& done) {
    if (json_) {
      done_.push_back({{"id", done.id}, {"name", done.name}, {"action", done.action}});
    } else {
      std::printf("%s %s (%s)\n", done.action.c_str(), done.id.substr(0, 12).c_str(),
                  done.name.c_str());
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
  auto addresses = job_addresses(global);
  ActionReport report(output);
  for (const auto& reference : references) {
    auto done = run::stop_job(addresses, reference, grace);
    if (!done) return std::unexpected(done.error());
    report.add(*done);
  }
  return exit_code::ok;
}

Result<int> run_rm(const std::vector<std::string>& references, bool finished,
                   const std::string& output, const GlobalOptions& global) {
  auto addresses = job_addresses(global);
  ActionReport report(output);
  auto removed = run::remove_jobs(addresses, references,
                                  finished ? run::FinishedJobs::all : run::FinishedJobs::only_named,
                                  [&](const run::JobAction& done) { report.add(done); });
  if (!removed) return std::unexpected(removed.error());
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
{"id", "name", "exit_code", "reason", "started", "finished", "duration_seconds", "image",
"gpu_failure"}; reason is succeeded, failed, timed_out, out_of_memory, killed or stopped;
gpu_failure is null, or {"id", "what", "fix"} when the failed job's log ends with the signs of a
GPU failure (docs/gpu-failures.md).
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
