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
  std::optional<std::chrono::seconds> timeout;
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// Creates the container, attaches before starting it so no output is lost, streams its output,
// and waits. Returns dlrun's exit code: the job's own, or 124 (timeout), 130/143 (signals),
// 137 (out of memory). The container is removed on every path unless `keep` says otherwise.
Result<int> run_job(engine::EngineClient& client, const ContainerPlan& plan,
                    const std::string& create_body, const RunOptions& options,
                    SignalWatcher& signals);

// Creates the container and starts it, and leaves it running (its log kept by the engine);
// returns its id. A start that fails removes it again.
Result<std::string> start_detached(engine::EngineClient& client, const ContainerPlan& plan,
                                   const std::string& create_body);

// What a finished job's exit status means: its own code, or 137 for an out-of-memory kill, said
// as such. Asks the daemon only when the job failed.
Result<int> job_exit_code(engine::EngineClient& client, const std::string& id, int status);

}  // namespace dlrun::run
