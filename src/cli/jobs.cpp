#include "jobs.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dlrun/run/jobs.hpp"
#include "dlrun/run/train.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kJobHelp =
    R"(JOB is a job's id, an unambiguous prefix of it (3 characters or more), or its name
when only one job has it. Your own jobs only: another user's is refused.)";

std::string my_uid() {
  return std::to_string(getuid());
}

Result<engine::EngineClient> connect_to(const GlobalOptions& global) {
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  return run::connect(*surroundings);
}

std::string started_at(std::int64_t seconds) {
  const std::time_t time = seconds;
  std::tm parts{};
  localtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

struct PsOptions {
  bool all = false;
  bool all_users = false;
  std::string output = "text";
};

Result<int> run_ps(const PsOptions& options, const GlobalOptions& global) {
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  auto jobs =
      run::list_jobs(*client, options.all_users ? run::JobUsers::everyone : run::JobUsers::mine,
                     options.all ? run::JobStates::all : run::JobStates::active, my_uid());
  if (!jobs) return std::unexpected(jobs.error());
  if (options.output == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& job : *jobs) {
      out.push_back({{"id", job.id},
                     {"name", job.name},
                     {"container", job.container},
                     {"state", job.state},
                     {"status", job.status},
                     {"image", job.image},
                     {"created", job.created},
                     {"user", job.user}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return exit_code::ok;
  }
  std::printf("%-12s  %-20s  %-30s  %-19s  %s\n", "ID", "NAME", "STATUS", "CREATED", "IMAGE");
  for (const auto& job : *jobs) {
    std::printf("%-12s  %-20s  %-30s  %-19s  %s\n", job.id.substr(0, 12).c_str(), job.name.c_str(),
                job.status.c_str(), started_at(job.created).c_str(), job.image.c_str());
  }
  return exit_code::ok;
}

struct LogsOptions {
  std::string job;
  bool follow = false;
  std::optional<int> tail;
};

Result<int> run_logs(const LogsOptions& options, const GlobalOptions& global) {
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  auto job = run::find_job(*client, options.job, my_uid());
  if (!job) return std::unexpected(job.error());
  auto shown = run::job_logs(*client, *job,
                             options.follow ? engine::LogsFollow::follow : engine::LogsFollow::no,
                             options.tail, 1, 2);
  if (!shown) return std::unexpected(shown.error());
  return exit_code::ok;
}

Result<int> run_wait(const std::vector<std::string>& references, const std::string& output,
                     const GlobalOptions& global) {
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  int last = exit_code::ok;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& reference : references) {
    auto job = run::find_job(*client, reference, my_uid());
    if (!job) return std::unexpected(job.error());
    auto code = run::wait_for_job(*client, *job);
    if (!code) return std::unexpected(code.error());
    last = *code;
    results.push_back({{"id", job->id}, {"name", job->name}, {"exit_code", *code}});
  }
  if (output == "json") std::printf("%s\n", results.dump(2).c_str());
  return last;
}

Result<int> run_stop(const std::vector<std::string>& references, int grace,
                     const GlobalOptions& global) {
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  for (const auto& reference : references) {
    auto job = run::find_job(*client, reference, my_uid());
    if (!job) return std::unexpected(job.error());
    if (auto stopped = client->stop_container(job->id, grace); !stopped)
      return std::unexpected(stopped.error());
    std::printf("stopped %s (%s)\n", job->id.substr(0, 12).c_str(), job->name.c_str());
  }
  return exit_code::ok;
}

Result<int> run_rm(const std::vector<std::string>& references, bool finished,
                   const GlobalOptions& global) {
  auto client = connect_to(global);
  if (!client) return std::unexpected(client.error());
  std::vector<run::JobRecord> jobs;
  if (finished) {
    auto mine = run::list_jobs(*client, run::JobUsers::mine, run::JobStates::all, my_uid());
    if (!mine) return std::unexpected(mine.error());
    for (auto& job : *mine) {
      if (job.state == "exited" || job.state == "dead") jobs.push_back(std::move(job));
    }
  }
  for (const auto& reference : references) {
    auto job = run::find_job(*client, reference, my_uid());
    if (!job) return std::unexpected(job.error());
    if (job->state == "running" || job->state == "restarting") {
      return fail(ErrorKind::usage,
                  "job " + job->id.substr(0, 12) + " (" + job->name + ") is still running",
                  "stop it first: dlrun stop " + job->id.substr(0, 12));
    }
    jobs.push_back(std::move(*job));
  }
  for (const auto& job : jobs) {
    if (auto removed = client->remove_container(job.id); !removed)
      return std::unexpected(removed.error());
    std::printf("removed %s (%s)\n", job.id.substr(0, 12).c_str(), job.name.c_str());
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
  ps_command->add_option("--output", ps->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
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
  logs_command->footer(std::string(R"(Examples:
  dlrun logs 3f2a           everything the job printed so far
  dlrun logs -f resnet      follow it to the end

stdout to stdout, stderr to stderr, byte for byte.
)") + kJobHelp + "\nExit codes: 0; 2 no such job; 125 the engine failed.");
  logs_command->callback([logs, &global, finish] { finish(run_logs(*logs, global)); });

  auto waited = std::make_shared<std::vector<std::string>>();
  auto wait_output = std::make_shared<std::string>("text");
  CLI::App* wait_command = app.add_subcommand("wait", "Wait for jobs to end; exit with their code");
  wait_command->add_option("jobs", *waited, "The jobs")->required();
  wait_command->add_option("--output", *wait_output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  wait_command->footer(std::string(R"(Examples:
  id=$(dlrun train -d train.json) && dlrun wait "$id"    in CI: start now, wait later

Exits with the (last) job's exit code as dlrun train would: its own, or 137 for an
out-of-memory kill.
)") + kJobHelp);
  wait_command->callback(
      [waited, wait_output, &global, finish] { finish(run_wait(*waited, *wait_output, global)); });

  auto stopped = std::make_shared<std::vector<std::string>>();
  auto grace = std::make_shared<int>(10);
  CLI::App* stop_command = app.add_subcommand("stop", "Stop jobs: SIGTERM, then SIGKILL");
  stop_command->add_option("jobs", *stopped, "The jobs")->required();
  stop_command->add_option("-t,--time", *grace, "Seconds between SIGTERM and SIGKILL (10)");
  stop_command->footer(std::string("A stopped job stays until dlrun rm, with its log.\n") +
                       kJobHelp);
  stop_command->callback(
      [stopped, grace, &global, finish] { finish(run_stop(*stopped, *grace, global)); });

  auto removed = std::make_shared<std::vector<std::string>>();
  auto finished = std::make_shared<bool>(false);
  CLI::App* rm_command = app.add_subcommand("rm", "Remove finished jobs and their logs");
  rm_command->add_option("jobs", *removed, "The jobs");
  rm_command->add_flag("--finished", *finished, "All of your finished jobs");
  rm_command->footer(std::string("A running job is refused: dlrun stop it first.\n") + kJobHelp);
  rm_command->callback(
      [removed, finished, &global, finish] { finish(run_rm(*removed, *finished, global)); });
}

}  // namespace dlrun::cli
