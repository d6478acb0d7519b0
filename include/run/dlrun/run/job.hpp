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

}  // namespace dlrun::run
