#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/plan/plan.hpp"
#include "dlrun/signals.hpp"

namespace dlrun::run {

enum class KeepContainer { remove, keep };

// dlrun's exit code for a job, and what it means.
struct JobExit {
  int exit_code = 0;
  Ending ending = Ending::succeeded;
  bool detached = false;       // left running: exit_code is dlrun's (0 started, 129 terminal lost)
  std::string container_id;    // the container it ran in, where run_job made one
  bool never_started = false;  // a signal came before the start: nothing of the job ran
  std::string gpu_failure;     // its last output showed a GPU failure: gpu_failures()'s id
};

struct RunOptions {
  KeepContainer keep = KeepContainer::remove;
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// Creates the container, attaches before starting it so no output is lost, streams its output,
// and waits. Returns dlrun's exit code: the job's own (124 when its timeout struck), 130/143
// (stopped by SIGINT/SIGTERM), 137 (out of memory). The container is removed on every path
// unless `keep` says otherwise, or dlrun lost its terminal (SIGHUP, or output it can no longer
// write): then the job runs on, detached, and this returns 129.
Result<JobExit> run_job(engine::EngineClient& client, const ContainerPlan& plan,
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

// Whether the OOM killer struck the container: the daemon's flag, or, that flag lost to a race
// with the exit (Docker 20.10), an "oom" event in its log since the container was created.
bool was_oom_killed(engine::EngineClient& client, const std::string& id,
                    const engine::ContainerState& state);

// What a finished job's exit status means: its own code, or 137 for an out-of-memory kill, said
// as such. Asks the daemon only when the job failed.
Result<JobExit> job_exit(engine::EngineClient& client, const std::string& id, int status,
                         bool has_timeout);

}  // namespace dlrun::run
