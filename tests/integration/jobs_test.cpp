// Jobs that outlive the dlrun that started them: train --detach, then ps, logs, wait, stop, rm,
// each in a dlrun of its own.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "dlrun/sha256.hpp"
#include "dlrun/shell_quote.hpp"
#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

std::string seq(long last) {
  std::string text;
  for (long i = 1; i <= last; ++i) text += std::to_string(i) + "\n";
  return text;
}

// Starts a job detached and returns its id.
std::string detach(const JobFixture& job, const nlohmann::json& fields,
                   const std::string& file = "job.json", const Invocation& as = {}) {
  const auto started = job.dlrun({"train", "-d", job.write_spec(fields, file)}, as);
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  REQUIRE(started.out.size() == 65);  // a 64-digit id and a newline
  return started.out.substr(0, 64);
}

// The one job of `name` in `ps -a --output json`, waiting up to `limit` for `ready` to hold.
nlohmann::json job_named(const JobFixture& job, const std::string& name,
                         const std::function<bool(const nlohmann::json&)>& ready,
                         std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  nlohmann::json found;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto listed = job.dlrun({"ps", "-a", "--output", "json"});
    REQUIRE(listed.exit_code == 0);
    for (const auto& entry : nlohmann::json::parse(listed.out)) {
      if (entry["name"] == name) found = entry;
    }
    if (!found.is_null() && ready(found)) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return found;
}

}  // namespace

TEST_CASE("a foreground job outlives its terminal session, attach gets the rest and its code",
          "[engine][jobs][signals]") {
  JobFixture job;
  const std::string spec = job.write_spec(
      {{"name", "session"},
       {"command", "for i in $(seq 1 30); do echo line-$i; sleep 0.1; done; exit 7"}});
  // dlrun in a pseudo-terminal session of its own, as over SSH; `script` makes one. Killing
  // `script` closes the terminal: the kernel hangs up the session (SIGHUP, then EIO on writes).
  std::string command = DLRUN_BINARY;
  for (const char* word : {"train", spec.c_str()}) command += " " + shell_quote(word);
  Invocation session{.args = {"/usr/bin/script", "-q", "-e", "-c", command, "/dev/null"}};
  session.env["DOCKER_HOST"] = job.engine().gpu_host();
  session.env["XDG_CACHE_HOME"] = (job.engine().dir / "cache").string();
  session.limit = std::chrono::seconds(60);
  session.on_output = [sent = std::make_shared<bool>(false)](pid_t pid, const std::string& out,
                                                             const std::string&) {
    if (!*sent && out.find("line-3") != std::string::npos) {
      kill(pid, SIGKILL);
      *sent = true;
    }
  };
  const auto killed = run_process(session);
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  CHECK(killed.out.find("line-30") == std::string::npos);

  // Its dlrun detaches on the hang-up and marks the container; the job runs on.
  const auto found = job_named(job, "session", [](const nlohmann::json& entry) {
    return entry["container"].get<std::string>().ends_with("-detached");
  });
  REQUIRE(!found.is_null());
  CHECK(found["container"].get<std::string>().ends_with("-detached"));
  const std::string id = found["id"];

  const auto attached = job.dlrun({"attach", id.substr(0, 10)});
  CHECK(attached.exit_code == 7);
  std::string all_lines;
  for (int i = 1; i <= 30; ++i) all_lines += "line-" + std::to_string(i) + "\n";
  CHECK(attached.out == all_lines);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("Ctrl-C in attach stops the job as in train, and exits 130", "[engine][jobs][signals]") {
  JobFixture job;
  const std::string id = detach(job, {{"command", "echo started; sleep 300"}});
  const auto attached = job.dlrun({"attach", id}, signal_when_started(SIGINT));
  CHECK(attached.exit_code == 130);
  CHECK(attached.err.find("interrupted (SIGINT): stopping the job") != std::string::npos);
  CHECK(attached.elapsed < std::chrono::seconds(30));
  // Stopped, and kept until removed, as a detached job is. (By id: other tests' jobs may have
  // the same name on the engine.)
  const auto listed = job.dlrun({"ps", "-a", "--output", "json"});
  nlohmann::json entry;
  for (const auto& each : nlohmann::json::parse(listed.out)) {
    if (each["id"] == id) entry = each;
  }
  REQUIRE(entry.is_object());
  CHECK(entry["state"] != "running");
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a reader that goes away (| head) leaves the job running", "[engine][jobs][signals]") {
  JobFixture job;
  const std::string spec =
      job.write_spec({{"name", "piped"}, {"command", "seq 1 100000; sleep 2; echo done; exit 3"}});
  Invocation piped{
      .args = {"/bin/sh", "-c",
               shell_quote(DLRUN_BINARY) + " train " + shell_quote(spec) + " | head -n 2"}};
  piped.env["DOCKER_HOST"] = job.engine().gpu_host();
  piped.env["XDG_CACHE_HOME"] = (job.engine().dir / "cache").string();
  const auto result = run_process(piped);
  CHECK(result.out == "1\n2\n");
  CHECK(result.err.find("its output can no longer be written") != std::string::npos);
  const auto found = job_named(job, "piped", [](const nlohmann::json&) { return true; });
  REQUIRE(!found.is_null());
  const std::string id = found["id"];
  CHECK(job.dlrun({"wait", id}).exit_code == 3);
  CHECK(job.dlrun({"logs", "--tail", "1", id}).out == "done\n");
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a detached job's timeout holds with no dlrun running: wait says 124, timed out",
          "[engine][jobs]") {
  JobFixture job;
  const std::string id = detach(
      job, {{"name", "deadline"}, {"timeout", "3s"}, {"command", "echo started; sleep 300"}});
  const auto waited = job.dlrun({"wait", "--output", "json", id});
  INFO(waited.err);
  CHECK(waited.exit_code == 124);
  const auto result = nlohmann::json::parse(waited.out).at(0);
  CHECK(result["reason"] == "timed_out");
  CHECK(result["exit_code"] == 124);
  // The daemon records StartedAt once runc has started the process, a moment after the deadline
  // inside the container began to run: the recorded duration may fall short of it by that much.
  CHECK(result["duration_seconds"].get<double>() >= 2.9);
  CHECK(result["duration_seconds"].get<double>() < 20.0);
  CHECK(result["image"] == kTestImage);
  CHECK(waited.err.find("the job ran past its timeout and was stopped") != std::string::npos);

  const auto logs = job.dlrun({"logs", id});
  CHECK(logs.out == "started\n");
  CHECK(logs.err.find("dlrun: the job ran past its timeout of 3s") != std::string::npos);
  const auto listed = job_named(job, "deadline", [](const nlohmann::json&) { return true; });
  CHECK(listed["state"] == "timed_out");
  CHECK(listed["exit_code"] == 124);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("an OOM-killed detached job: wait says 137 and why, ps says out of memory",
          "[engine][jobs]") {
  JobFixture job;
  const std::string id = detach(job, {{"name", "hungry"},
                                      {"command", "head -c 200000000 /dev/zero | tail > /dev/null"},
                                      {"resources", {{"memory", "16m"}}}});
  const auto waited = job.dlrun({"wait", id});
  CHECK(waited.exit_code == 137);
  CHECK(waited.err.find("dlrun: error: killed: out of memory (limit 16m)") != std::string::npos);
  const auto listed = job_named(job, "hungry", [](const nlohmann::json&) { return true; });
  CHECK(listed["state"] == "out_of_memory");
  const auto table = job.dlrun({"ps", "-a"});
  CHECK(table.out.find("out of memory") != std::string::npos);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("ps shows state, GPUs, start, duration and owner, its JSON has a documented shape",
          "[engine][jobs]") {
  JobFixture job;
  const std::string running =
      detach(job, {{"name", "busy"}, {"gpus", 1}, {"command", {"sleep", "30"}}}, "busy.json");
  const std::string failed = detach(job, {{"name", "broken"}, {"command", "exit 42"}}, "b.json");
  CHECK(job.dlrun({"wait", failed}).exit_code == 42);

  const auto table = job.dlrun({"ps", "-a"});
  REQUIRE(table.exit_code == 0);
  CHECK(
      table.out.starts_with("ID            NAME                  STATE           GPUS   STARTED  "
                            "         DURATION  OWNER       IMAGE\n"));
  const auto line_of = [&](const std::string& id) {
    const auto at = table.out.find(id.substr(0, 12));
    REQUIRE(at != std::string::npos);
    return table.out.substr(at, table.out.find('\n', at) - at);
  };
  CHECK(line_of(running).find(" running ") != std::string::npos);
  CHECK(line_of(running).find(" 1 ") != std::string::npos);  // its GPUs
  CHECK(line_of(running).find(" root ") != std::string::npos);
  CHECK(line_of(failed).find(" exited 42 ") != std::string::npos);

  const auto listed = job.dlrun({"ps", "-a", "--output", "json"});
  const auto jobs = nlohmann::json::parse(listed.out);
  REQUIRE(jobs.is_array());
  for (const auto& entry : jobs) {
    if (entry["id"] != running) continue;
    CHECK(entry["state"] == "running");
    CHECK(entry["exit_code"].is_null());
    CHECK(entry["gpus"] == "1");
    CHECK(entry["user"] == "0");
    CHECK(entry["user_name"] == "root");
    CHECK(entry["duration_seconds"].get<std::int64_t>() >= 0);
    CHECK(entry["image"] == kTestImage);
  }
  const auto stopped = job.dlrun({"stop", "-t", "1", "--output", "json", running});
  CHECK(stopped.exit_code == 0);
  CHECK(nlohmann::json::parse(stopped.out) ==
        nlohmann::json::parse(R"([{"id": ")" + running +
                              R"(", "name": "busy", "action": "stopped"}])"));
  const auto removed = job.dlrun({"rm", "--output", "json", running, failed});
  CHECK(removed.exit_code == 0);
  const auto gone = nlohmann::json::parse(removed.out);
  REQUIRE(gone.size() == 2);
  CHECK(gone[0]["action"] == "removed");
  CHECK(gone[1]["id"] == failed);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a detached job's output is kept whole, and logs can start from a time",
          "[engine][jobs][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  // Four megabytes and more, checked by its checksum.
  const std::string id = detach(job, {{"command", "seq 1 600000; echo late"}});
  CHECK(job.dlrun({"wait", id}).exit_code == 0);
  Invocation hashed;
  hashed.hash_stdout = true;
  const auto logs = job.dlrun({"logs", id}, hashed);
  CHECK(logs.out_bytes == seq(600000).size() + 5);
  CHECK("sha256:" + logs.out_sha256 == sha256_digest(seq(600000) + "late\n"));

  // --since: a short job whose first line is five seconds older than its last. (The engine
  // stamps a line when it reads it, so a long output's backlog would blur the boundary.)
  // The boundary is taken from the start, not from the wait's end, which a loaded engine
  // (Podman's cleanup) may bring seconds after the last line: "early" comes before the detach
  // returns, "late" five seconds after the start.
  const std::string spaced = detach(job, {{"command", "echo early; sleep 5; echo late"}}, "s.json");
  const auto between = std::to_string(std::time(nullptr) + 2);
  CHECK(job.dlrun({"wait", spaced}).exit_code == 0);
  CHECK(job.dlrun({"logs", "--since", between, spaced}).out == "late\n");
  CHECK(job.dlrun({"logs", "--since", "1m", spaced}).out == "early\nlate\n");
  CHECK(job.dlrun({"rm", spaced}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

TEST_CASE("a detached job keeps running, its output and exit code are there later",
          "[engine][jobs][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  // More than a megabyte, on both streams, after the dlrun that started it is gone.
  const std::string id =
      detach(job, {{"command", "seq 1 300000; echo to-stderr >&2; sleep 3; exit 42"}});

  const auto listed = job.dlrun({"ps", "--output", "json"});
  REQUIRE(listed.exit_code == 0);
  const auto jobs = nlohmann::json::parse(listed.out);
  CHECK(std::any_of(jobs.begin(), jobs.end(), [&](const auto& j) { return j["id"] == id; }));

  const auto waited = job.dlrun({"wait", id.substr(0, 8)});
  CHECK(waited.exit_code == 42);

  const auto logs = job.dlrun({"logs", id});
  CHECK(logs.exit_code == 0);
  CHECK(logs.out == seq(300000));
  CHECK(logs.err == "to-stderr\n");
  const auto tail = job.dlrun({"logs", "--tail", "2", id});
  // Docker counts the last lines of each stream; Podman of both together, as its conmon wrote
  // them (the stderr line among them or not).
  if (on.name == "podman") {
    CHECK(tail.out.ends_with("300000\n"));
    CHECK(std::count(tail.out.begin(), tail.out.end(), '\n') +
              std::count(tail.err.begin(), tail.err.end(), '\n') ==
          2);
  } else {
    CHECK(tail.out == "299999\n300000\n");
  }

  // Finished, it stays until removed: ps -a shows it, plain ps does not.
  CHECK(job.dlrun({"ps"}).out.find(id.substr(0, 12)) == std::string::npos);
  CHECK(job.dlrun({"ps", "-a"}).out.find(id.substr(0, 12)) != std::string::npos);
  const auto removed = job.dlrun({"rm", id});
  CHECK(removed.exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("wait gives each job's exit code, and the train that started it is not needed",
          "[engine][jobs][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  // A user of its own: rm --finished takes all of the user's finished jobs, and the tests
  // beside this one run theirs as root.
  Invocation user;
  user.uid = 4545;
  user.env["HOME"] = "/nonexistent";
  // The test's directory is root's alone (0700): the spec in it is out of that user's reach,
  // and the error says so rather than "no such file".
  const auto denied = job.dlrun({"train", "-d", job.write_spec({{"command", {"true"}}})}, user);
  CHECK(denied.exit_code == 2);
  CHECK(denied.err.find("/job.json: permission denied") != std::string::npos);
  CHECK(denied.err.find("hint: check the permissions of the file and of the directories above "
                        "it") != std::string::npos);
  std::filesystem::permissions(job.dir(), std::filesystem::perms::owner_all |
                                              std::filesystem::perms::others_read |
                                              std::filesystem::perms::others_exec);
  const std::string ok = detach(job, {{"command", {"true"}}}, "ok.json", user);
  const std::string failed = detach(job, {{"command", {"false"}}}, "failed.json", user);
  CHECK(job.dlrun({"wait", ok}, user).exit_code == 0);
  const auto result = job.dlrun({"wait", "--output", "json", failed}, user);
  CHECK(result.exit_code == 1);
  const auto waited = nlohmann::json::parse(result.out).at(0);
  CHECK(waited["exit_code"] == 1);
  CHECK(waited["reason"] == "failed");
  CHECK(waited["name"] == "failed");                         // the spec file's name
  CHECK(waited["started"].get<std::string>().size() >= 20);  // RFC 3339
  CHECK(waited["finished"].get<std::string>().size() >= 20);
  const auto removed = job.dlrun({"rm", "--finished"}, user);
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.find(ok.substr(0, 12)) != std::string::npos);
  CHECK(removed.out.find(failed.substr(0, 12)) != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("stop ends a detached job, rm refuses a running one, and nothing is left",
          "[engine][jobs][every-engine]") {
  const EngineUnderTest on = GENERATE(from_range(engines_under_test()));
  INFO("engine: " << on.name);
  JobFixture job(on);
  const std::string id = detach(job, {{"command", {"sleep", "300"}}});
  const auto refused = job.dlrun({"rm", id});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("is still running") != std::string::npos);
  CHECK(refused.err.find("hint: stop it first: dlrun stop ") != std::string::npos);

  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"wait", id}).exit_code == 143);  // SIGTERM, as train reports it
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a job named wrongly, ambiguously or someone else's is refused clearly",
          "[engine][jobs]") {
  JobFixture job;
  const auto unknown = job.dlrun({"logs", "no-such-job"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("dlrun: error: no dlrun job \"no-such-job\" on this engine") !=
        std::string::npos);

  const std::string first = detach(job, {{"name", "twin"}, {"command", {"sleep", "30"}}}, "a.json");
  const std::string second =
      detach(job, {{"name", "twin"}, {"command", {"sleep", "30"}}}, "b.json");
  const auto ambiguous = job.dlrun({"stop", "twin"});
  CHECK(ambiguous.exit_code == 2);
  CHECK(ambiguous.err.find("\"twin\" names more than one job: ") != std::string::npos);
  CHECK(ambiguous.err.find(first.substr(0, 12)) != std::string::npos);

  // Another user sees neither, and may not touch them.
  Invocation other;
  other.uid = 4343;
  other.env["HOME"] = "/nonexistent";
  const auto theirs = job.dlrun({"ps", "-a"}, other);
  CHECK(theirs.exit_code == 0);
  CHECK(theirs.out.find(first.substr(0, 12)) == std::string::npos);
  const auto touched = job.dlrun({"stop", first}, other);
  CHECK(touched.exit_code == 2);
  CHECK(touched.err.find("belongs to uid 0, not to you") != std::string::npos);

  CHECK(job.dlrun({"stop", "-t", "1", first, second}).exit_code == 0);
  CHECK(job.dlrun({"rm", first, second}).exit_code == 0);
  CHECK(job.leftover_containers().empty());

  // A job already gone: the same clear refusal, not the engine's 404.
  for (const char* command : {"logs", "wait", "attach", "stop", "rm"}) {
    const auto gone = job.dlrun({command, first});
    INFO(command);
    CHECK(gone.exit_code == 2);
    CHECK(gone.err.find("dlrun: error: no dlrun job \"" + first + "\" on this engine") !=
          std::string::npos);
  }
}

TEST_CASE("a detached job is not an orphan: the next train leaves it running", "[engine][jobs]") {
  JobFixture job;
  const std::string id = detach(job, {{"command", {"sleep", "30"}}}, "long.json");
  CHECK(job.dlrun({"train", job.write_spec({{"command", {"true"}}})}).exit_code == 0);
  const auto listed = job.dlrun({"ps"});
  CHECK(listed.out.find(id.substr(0, 12)) != std::string::npos);
  CHECK(job.dlrun({"stop", "-t", "1", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

}  // namespace dlrun::testing
