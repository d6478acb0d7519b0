#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/engine/client.hpp"
#include "dlrun/error.hpp"
#include "dlrun/process_owner.hpp"

// Containers whose dlrun is gone. dlrun removes its container on every way out it can see
// (exit, timeout, Ctrl-C, SIGTERM), and leaves it running, marked, on a hang-up; SIGKILL — the
// OOM killer, `kill -9`, a CI runner tearing down — it cannot see, so each container names the
// process that owns it.
namespace dlrun::run {

struct Orphan {
  std::string id;
  std::string name;
  std::string job;
  bool running = false;
  std::string slurm_job;    // the Slurm job it ran in, if any
  bool slurm_over = false;  // that Slurm job has ended: its GPUs are Slurm's to give again
};

// dlrun's containers on the engine whose dlrun on this host is gone. A running one of a Slurm
// job that has ended is marked so (Slurm asked once per such container).
Result<std::vector<Orphan>> find_orphans(engine::EngineClient& client,
                                         const std::filesystem::path& proc_root = "/proc");

// Every container of Slurm job `slurm_job` on the engine, whoever started it: what a node's
// Slurm epilog removes once the job is over (`dlrun clean --slurm-job $SLURM_JOB_ID`).
Result<std::vector<Orphan>> slurm_job_containers(engine::EngineClient& client,
                                                 const std::string& slurm_job);

// "dlrun-x-1a2b3c (job x)", for messages.
std::string describe(const Orphan& orphan);

// `dlrun clean`: which orphans to touch, and whether to only say what would be done.
enum class RunningOrphans { leave, stop };
enum class CleanMode { remove, dry_run };
struct Cleaned {
  Orphan orphan;
  enum class Action { left_running, would_remove, removed } action = Action::removed;
};

// Removes (or, dry, lists) the orphans on the engine, reporting each as it goes; stops at the
// first removal the engine refuses. A running orphan whose Slurm job has ended is removed even
// when running ones are left. With `slurm_job`, that Slurm job's containers instead.
Result<void> clean_orphans(engine::EngineClient& client, RunningOrphans running, CleanMode mode,
                           const std::function<void(const Cleaned&)>& report,
                           const std::string& slurm_job = {});

// What every `dlrun train` does first: removes the finished containers of dlruns that were
// killed, and warns about ones that still run. Engine trouble here is only a warning.
void remove_finished_orphans(engine::EngineClient& client);

}  // namespace dlrun::run
