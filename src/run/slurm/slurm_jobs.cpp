#include "dlrun/run/slurm/slurm_jobs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "dlrun/exit_codes.hpp"
#include "dlrun/process.hpp"

namespace dlrun::run {
namespace {

using json = nlohmann::json;

constexpr auto kPollInterval = std::chrono::seconds(1);

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::optional<int> read_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string first_line(std::string_view text) {
  const auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

std::unexpected<Error> slurm_failed(const std::string& command, const CapturedRun& ran) {
  if (ran.exit_code < 0) {
    return fail(ErrorKind::slurm,
                "cannot run " + command + ": " + std::string(std::strerror(ran.start_errno)),
                ran.start_errno == ENOENT
                    ? "run this on a machine of the Slurm cluster (a login node), where Slurm's "
                      "commands (sbatch, squeue, scontrol) are on PATH"
                    : "check that " + command + " can be run by you");
  }
  return fail(ErrorKind::slurm, command + " failed: " + first_line(ran.err),
              "is Slurm's controller reachable from here? `sinfo` says; SLURM_CONF names the "
              "cluster's slurm.conf");
}

std::filesystem::path record_file(const std::filesystem::path& dir, std::string_view id) {
  return dir / (std::string(id) + ".json");
}

std::optional<SubmittedJob> read_record(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  const json record = json::parse(in, nullptr, false);
  if (!record.is_object()) return std::nullopt;
  SubmittedJob job;
  const auto text = [&](const char* key) {
    const auto found = record.find(key);
    return found != record.end() && found->is_string() ? found->get<std::string>() : "";
  };
  job.id = text("job_id");
  if (!all_digits(job.id)) return std::nullopt;
  job.name = text("name");
  job.spec = text("spec");
  job.output = text("output");
  if (const auto found = record.find("submitted");
      found != record.end() && found->is_number_integer()) {
    job.submitted = found->get<std::int64_t>();
  }
  if (const auto found = record.find("nodes");
      found != record.end() && found->is_number_integer()) {
    job.nodes = found->get<int>();
  }
  return job;
}

// The exit code the batch script wrote as its last act: there when the script ended by itself.
std::optional<int> exit_file_code(const std::filesystem::path& dir, const std::string& id) {
  std::ifstream in(dir / (id + ".exit"));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return read_int(line);
}

// sacct's State|ExitCode for the job, where the cluster keeps accounting.
std::optional<SlurmJobStatus> sacct_status(const std::string& id) {
  const auto ran =
      run_captured({"sacct", "--noheader", "--parsable2", "--allocations", "--jobs", id,
                    "--format=State,ExitCode,Timelimit,Elapsed,NodeList,Partition"});
  if (ran.exit_code != 0) return std::nullopt;
  std::istringstream fields(first_line(ran.out));
  std::vector<std::string> parts;
  for (std::string part; std::getline(fields, part, '|');) parts.push_back(part);
  if (parts.size() < 6 || parts[0].empty()) return std::nullopt;
  const std::map<std::string, std::string> words{
      {"JobState", parts[0].substr(0, parts[0].find(' '))},
      {"ExitCode", parts[1]},
      {"TimeLimit", parts[2]},
      {"RunTime", parts[3]},
      {"NodeList", parts[4]},
      {"Partition", parts[5]}};
  return status_from_scontrol(words);
}

SlurmJobStatus remembered_status(const std::filesystem::path& dir, const SubmittedJob& job) {
  if (auto status = sacct_status(job.id)) return *status;
  SlurmJobStatus status;
  if (const auto code = exit_file_code(dir, job.id)) {
    status.state = *code == 0 ? "COMPLETED" : "FAILED";
    status.exit_code = code;
  } else {
    status.state = "UNKNOWN";
  }
  return status;
}

}  // namespace

Result<std::filesystem::path> submitted_jobs_dir(const EnvLookup& env) {
  auto dir = find_state_dir("slurm", env);
  if (!dir) {
    return fail(ErrorKind::io, "cannot tell where to keep submitted jobs: HOME is not set",
                "set HOME, or XDG_STATE_HOME to a directory the cluster's nodes share");
  }
  return *dir;
}

Result<void> remember_submitted(const std::filesystem::path& dir, const SubmittedJob& job) {
  const json record = {{"job_id", job.id},           {"name", job.name},
                       {"spec", job.spec},           {"output", job.output.string()},
                       {"submitted", job.submitted}, {"nodes", job.nodes}};
  if (!write_file_atomically(record_file(dir, job.id), record.dump(2) + "\n")) {
    return fail(ErrorKind::io, "cannot write " + record_file(dir, job.id).string(),
                "Slurm job " + job.id + " was submitted; without the record, `squeue -j " + job.id +
                    "` follows it");
  }
  return {};
}

std::vector<SubmittedJob> submitted_jobs(const std::filesystem::path& dir) {
  std::vector<SubmittedJob> jobs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    if (auto job = read_record(entry.path())) jobs.push_back(std::move(*job));
  }
  std::sort(jobs.begin(), jobs.end(), [](const SubmittedJob& a, const SubmittedJob& b) {
    return a.submitted != b.submitted ? a.submitted > b.submitted : a.id > b.id;
  });
  return jobs;
}

std::optional<SubmittedJob> find_submitted(const std::filesystem::path& dir,
                                           std::string_view reference) {
  if (!all_digits(reference)) return std::nullopt;
  return read_record(record_file(dir, reference));
}

void forget_submitted(const std::filesystem::path& dir, const SubmittedJob& job) {
  std::error_code ignored;
  std::filesystem::remove(record_file(dir, job.id), ignored);
  std::filesystem::remove(dir / (job.id + ".exit"), ignored);
  std::filesystem::remove(dir / (job.id + ".sh"), ignored);
  if (job.output.parent_path() == dir) std::filesystem::remove(job.output, ignored);
}

std::map<std::string, std::string> parse_scontrol_job(std::string_view line) {
  // Values may hold spaces (a Command with arguments): a word without "=" belongs to the value
  // before it.
  std::map<std::string, std::string> words;
  std::string last;
  std::istringstream in{std::string(line)};
  for (std::string word; in >> word;) {
    const auto equals = word.find('=');
    if (equals == std::string::npos || equals == 0) {
      if (!last.empty()) words[last] += " " + word;
      continue;
    }
    last = word.substr(0, equals);
    words[last] = word.substr(equals + 1);
  }
  return words;
}

bool slurm_job_finished(std::string_view state) {
  static constexpr std::string_view kEnded[] = {
      "COMPLETED", "FAILED",   "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
      "BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED", "SPECIAL_EXIT"};
  return std::find(std::begin(kEnded), std::end(kEnded), state) != std::end(kEnded);
}

SlurmJobStatus status_from_scontrol(const std::map<std::string, std::string>& words) {
  const auto word = [&](const char* key) {
    const auto found = words.find(key);
    return found == words.end() || found->second == "(null)" ? std::string() : found->second;
  };
  SlurmJobStatus status;
  status.state = word("JobState");
  status.reason = word("Reason");
  if (status.reason == "None") status.reason.clear();
  status.time_limit = word("TimeLimit");
  status.run_time = word("RunTime");
  status.nodelist = word("NodeList");
  status.partition = word("Partition");
  status.output = word("StdOut");
  // "N:S": the script's exit code, or the signal that ended it.
  const std::string exit_code = word("ExitCode");
  if (const auto colon = exit_code.find(':'); colon != std::string::npos) {
    const auto code = read_int(std::string_view(exit_code).substr(0, colon));
    const auto signal = read_int(std::string_view(exit_code).substr(colon + 1));
    if (code && signal)
      status.exit_code = *signal != 0 && *code == 0 ? signal_exit_code(*signal) : *code;
  }
  return status;
}

Result<std::map<std::string, SlurmJobStatus>> slurm_job_statuses(
    const std::filesystem::path& dir, const std::vector<SubmittedJob>& jobs) {
  std::map<std::string, SlurmJobStatus> statuses;
  if (jobs.empty()) return statuses;
  // Every job slurmctld remembers, in one call: a job it forgot makes `scontrol show job ID`
  // fail, and one unknown id among many would hide the rest.
  const auto ran = run_captured({"scontrol", "--oneliner", "show", "job"});
  if (ran.exit_code != 0) return slurm_failed("scontrol", ran);
  std::istringstream lines(ran.out);
  for (std::string line; std::getline(lines, line);) {
    auto words = parse_scontrol_job(line);
    const auto id = words.find("JobId");
    if (id == words.end()) continue;
    statuses.emplace(id->second, status_from_scontrol(words));
  }
  std::map<std::string, SlurmJobStatus> wanted;
  for (const auto& job : jobs) {
    const auto found = statuses.find(job.id);
    wanted.emplace(job.id, found != statuses.end() ? found->second : remembered_status(dir, job));
  }
  return wanted;
}

Result<SlurmJobStatus> slurm_job_status(const std::filesystem::path& dir, const SubmittedJob& job) {
  const auto ran = run_captured({"scontrol", "--oneliner", "show", "job", job.id});
  if (ran.exit_code < 0) return slurm_failed("scontrol", ran);
  if (ran.exit_code == 0) return status_from_scontrol(parse_scontrol_job(first_line(ran.out)));
  if (ran.err.find("Invalid job id") == std::string::npos) return slurm_failed("scontrol", ran);
  return remembered_status(dir, job);
}

SlurmOutcome slurm_outcome(const SlurmJobStatus& status) {
  const std::string& state = status.state;
  if (state == "COMPLETED" || state == "FAILED" || state == "UNKNOWN") {
    if (!status.exit_code) return {exit_code::dlrun_failure, "unknown"};
    const int code = *status.exit_code;
    return {code, std::string(ending_name(ending_of(code, false, false)))};
  }
  if (state == "TIMEOUT") return {exit_code::timeout, "time_limit"};
  if (state == "CANCELLED") return {exit_code::terminated, "cancelled"};
  if (state == "OUT_OF_MEMORY") return {exit_code::oom_killed, "out_of_memory"};
  std::string reason = state;
  std::transform(reason.begin(), reason.end(), reason.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return {exit_code::dlrun_failure, reason};
}

std::string slurm_state_name(const SlurmJobStatus& status) {
  if (slurm_job_finished(status.state) ||
      (status.state == "UNKNOWN" && status.exit_code.has_value())) {
    return slurm_outcome(status).reason;
  }
  std::string name = status.state;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

Result<SlurmOutcome> wait_for_submitted(const std::filesystem::path& dir, const SubmittedJob& job) {
  while (true) {
    auto status = slurm_job_status(dir, job);
    if (!status) return std::unexpected(status.error());
    if (slurm_job_finished(status->state)) return slurm_outcome(*status);
    if (status->state == "UNKNOWN") {
      if (status->exit_code) return slurm_outcome(*status);
      return fail(ErrorKind::slurm,
                  "Slurm no longer knows job " + job.id + ", and it left no exit code",
                  "the cluster keeps no accounting (sacct) and the job's script did not finish "
                  "by itself (a node failure, or the job was stopped); its output is " +
                      job.output.string());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

namespace {

// Copies from `fd` at `offset` to `out_fd` until the end of what is there now.
bool copy_new_bytes(int fd, off_t& offset, int out_fd) {
  char buffer[65536];
  while (true) {
    const ssize_t got = pread(fd, buffer, sizeof buffer, offset);
    if (got <= 0) return true;
    for (ssize_t written = 0; written < got;) {
      const ssize_t put = write(out_fd, buffer + written, static_cast<std::size_t>(got - written));
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) return false;
      written += put;
    }
    offset += got;
  }
}

// Where the last `lines` lines of the file begin.
off_t tail_offset(int fd, int lines) {
  const off_t size = lseek(fd, 0, SEEK_END);
  if (lines <= 0) return size;
  off_t position = size;
  int newlines = 0;
  char buffer[65536];
  while (position > 0) {
    const off_t start = std::max<off_t>(0, position - static_cast<off_t>(sizeof buffer));
    const ssize_t got = pread(fd, buffer, static_cast<std::size_t>(position - start), start);
    if (got <= 0) return 0;
    for (ssize_t index = got - 1; index >= 0; --index) {
      // The file's own last newline ends its last line; it does not start one.
      if (buffer[index] == '\n' && start + index != size - 1 && ++newlines == lines) {
        return start + index + 1;
      }
    }
    position = start;
  }
  return 0;
}

}  // namespace

Result<void> submitted_job_logs(const std::filesystem::path& dir, const SubmittedJob& job,
                                std::optional<int> tail, bool follow, int out_fd) {
  int fd = -1;
  off_t offset = 0;
  while (true) {
    if (fd < 0) {
      fd = open(job.output.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && tail) offset = tail_offset(fd, *tail);
    }
    if (fd >= 0 && !copy_new_bytes(fd, offset, out_fd)) break;  // the reader went away
    if (!follow) break;
    auto status = slurm_job_status(dir, job);
    if (!status) {
      if (fd >= 0) close(fd);
      return std::unexpected(status.error());
    }
    if (slurm_job_finished(status->state) || status->state == "UNKNOWN") {
      if (fd < 0) fd = open(job.output.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) copy_new_bytes(fd, offset, out_fd);
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  if (fd < 0 && !follow) {
    return fail(ErrorKind::io,
                "Slurm job " + job.id + " has no output yet at " + job.output.string(),
                "a pending job writes none until it starts (dlrun ps says); the file is written "
                "on the job's first node, so it must be a directory the nodes share");
  }
  if (fd >= 0) close(fd);
  return {};
}

Result<void> cancel_submitted(const SubmittedJob& job) {
  const auto ran = run_captured({"scancel", job.id});
  if (ran.exit_code != 0) return slurm_failed("scancel", ran);
  return {};
}

std::optional<int> slurm_kill_wait_seconds() {
  const auto ran = run_captured({"scontrol", "show", "config"});
  if (ran.exit_code != 0) return std::nullopt;
  std::istringstream lines(ran.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("KillWait")) continue;
    const auto equals = line.find('=');
    if (equals == std::string::npos) return std::nullopt;
    std::istringstream value(line.substr(equals + 1));
    int seconds = 0;
    if (value >> seconds) return seconds;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<bool> slurm_job_alive(const std::string& id) {
  const auto ran = run_captured({"scontrol", "--oneliner", "show", "job", id});
  if (ran.exit_code < 0) return std::nullopt;
  if (ran.exit_code != 0) {
    if (ran.err.find("Invalid job id") != std::string::npos) return false;
    return std::nullopt;
  }
  const auto status = status_from_scontrol(parse_scontrol_job(first_line(ran.out)));
  return !slurm_job_finished(status.state);
}

}  // namespace dlrun::run
