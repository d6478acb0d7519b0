#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/plan.hpp"
#include "dlrun/run/signals.hpp"

namespace dlrun::run {

enum class KeepContainer { remove, keep };

struct RunOptions {
  KeepContainer keep = KeepContainer::remove;
  int stdout_fd = 1;
  int stderr_fd = 2;
  std::string container_name;  // filled in by run_job
  bool output_kept = true;     // likewise: whether the engine keeps a log
};

// Creates the container, attaches before starting it so no output is lost, streams its output,
// and waits. Returns dlrun's exit code: the job's own (124 when its timeout struck), 130/143
// (stopped by SIGINT/SIGTERM), 137 (out of memory). The container is removed on every path
// unless `keep` says otherwise, or dlrun lost its terminal (SIGHUP, or output it can no longer
// write): then the job runs on, detached, and this returns 129.
Result<int> run_job(engine::EngineClient& client, const ContainerPlan& plan,
                    const std::string& create_body, const RunOptions& options,
                    SignalWatcher& signals);

// Creates the container and starts it, and leaves it running (its log kept by the engine);
// returns its id. A start that fails removes it again.
Result<std::string> start_detached(engine::EngineClient& client, const ContainerPlan& plan,
                                   const std::string& create_body);

struct AttachOptions {
  std::optional<int> tail;   // only the last lines of what it printed so far; nullopt: all of it
  bool has_timeout = false;  // its exit of 124 is then dlrun-timeout's
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// Follows a job started earlier as if dlrun had never left it: its kept output, then what comes,
// then its exit code as run_job gives it. SIGINT/SIGTERM stop the job; a hang-up leaves it be.
Result<int> attach_job(engine::EngineClient& client, const std::string& id,
                       const AttachOptions& options, SignalWatcher& signals);

// What a finished job's exit status means: its own code, or 137 for an out-of-memory kill, said
// as such. Asks the daemon only when the job failed.
Result<int> job_exit_code(engine::EngineClient& client, const std::string& id, int status);

}  // namespace dlrun::run
