#include "dlrun/run/job/job.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <functional>
#include <future>
#include <stop_token>
#include <thread>

#include "dlrun/engine/engine_time.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/run/job/gpu_failures.hpp"
#include "dlrun/run/job/output.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/labels.hpp"
#include "dlrun/run/plan/timeout_program.hpp"

namespace dlrun::run {
namespace {

using Clock = std::chrono::steady_clock;

// Removes the container when the run ends, however it ends, unless the user asked to keep it.
// `finish` reports a failed removal after the run's own outcome: a daemon that died mid-job is
// the cause, the container it could not remove a consequence.
class ContainerGuard {
 public:
  ContainerGuard(engine::EngineClient& client, std::string id, KeepContainer keep)
      : client_(client), id_(std::move(id)), keep_(keep) {}
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;

  // The job runs on without this dlrun (a hang-up): it is no longer ours to remove.
  void release() { released_ = true; }

  template <typename T>
  Result<T> finish(Result<T> outcome) {
    if (released_) return outcome;
    if (keep_ == KeepContainer::keep) {
      spdlog::info("kept container {}", id_.substr(0, 12));
      return outcome;
    }
    auto removed = client_.remove_container(id_);
    if (removed) return outcome;
    const std::string cleanup = "remove it with: docker rm -f " + id_.substr(0, 12);
    if (!outcome) {
      outcome.error().hint += (outcome.error().hint.empty() ? "" : "; ") +
                              std::string("the container was left behind as a result (") +
                              removed.error().message + "): once the daemon answers, " + cleanup;
      return outcome;
    }
    spdlog::error("could not remove container {}: {}", id_.substr(0, 12), removed.error().message);
    spdlog::error("{}", cleanup);
    return outcome;
  }

 private:
  engine::EngineClient& client_;
  std::string id_;
  KeepContainer keep_;
  bool released_ = false;
};

// Says once whether a streaming call got going (the daemon answered) or failed first.
class ReadyLatch {
 public:
  void set(bool ok) {
    std::call_once(once_, [this, ok] { promise_.set_value(ok); });
  }
  enum class State { ready, failed, timed_out };
  // failed: the call ended before the daemon answered (its result is set by then).
  State wait(std::chrono::seconds limit) {
    if (future_.wait_for(limit) != std::future_status::ready) return State::timed_out;
    return future_.get() ? State::ready : State::failed;
  }

 private:
  std::once_flag once_;
  std::promise<bool> promise_;
  std::future<bool> future_ = promise_.get_future();
};

class EventFd {
 public:
  EventFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() { close(fd_); }
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  void notify() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(fd_, &one, sizeof one);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Stops the job in the background: SIGTERM, the grace period, SIGKILL. Runs on its own thread so
// a second Ctrl-C can still kill at once while the daemon waits out the grace period.
class Stopper {
 public:
  Stopper(engine::EngineClient& client, const std::string& id) : client_(client), id_(id) {}
  ~Stopper() {
    if (thread_.joinable()) thread_.join();
  }
  void begin(int grace_seconds) {
    if (thread_.joinable()) return;
    thread_ = std::thread([this, grace_seconds] {
      if (auto stopped = client_.stop_container(id_, grace_seconds); !stopped) {
        spdlog::error("{}", stopped.error().message);
      }
    });
  }
  void kill_now() {
    if (auto killed = client_.kill_container(id_, "SIGKILL"); !killed)
      spdlog::error("{}", killed.error().message);
  }

 private:
  engine::EngineClient& client_;
  const std::string& id_;
  std::thread thread_;
};

// The engine reports what the daemon refused; the job's own words say which part of the spec
// asked for it and how to change that.
Error in_job_terms(Error error) {
  if (error.kind == ErrorKind::no_gpu_driver) {
    error.message = "the job asks for GPUs, but " + error.message;
  } else if (error.kind == ErrorKind::setting_refused && error.subject == "memlock") {
    error.hint =
        "set \"resources\": {\"memlock\": \"8m\"} in the spec (at most `ulimit -Hl` of "
        "the daemon), or " +
        error.hint;
  }
  return error;
}

// How the wait for a job's end came out: it ended (perhaps stopped by a signal on the way), or
// dlrun lost its terminal and leaves the job running.
struct Watch {
  enum class End { job_ended, detached } end = End::job_ended;
  std::optional<int> stop_signal;  // the SIGINT/SIGTERM that stopped the job
  // The exit code read from the container itself, when its output closed and the daemon's answer
  // to the wait never came (a daemon under load has been seen to lose it).
  std::optional<int> exit_code_from_inspect;
  std::string_view detach_cause;
};

// How long after the job's output closed its exit status may take to arrive before dlrun asks the
// container itself, and then asks again.
constexpr int kExitStatusGraceMs = 3000;

// What watch_job may look at besides the wait: the end of the job's output, and the container's
// own state (nullopt while it runs). Without it, the wait's answer is the only end.
struct OutputEnd {
  const EventFd& closed;
  std::function<std::optional<int>()> exit_code_if_exited;
};

// Waits for `finished` while taking signals: SIGINT and SIGTERM stop the job (a second one kills
// it now); a hang-up, or output that can no longer be written, leaves it running.
Watch watch_job(const EventFd& finished, const EventFd& reader_gone, SignalWatcher& signals,
                Stopper& stopper, int grace_seconds, const OutputEnd* output_end = nullptr) {
  Watch watch;
  bool kill_sent = false;
  bool output_closed = false;
  while (true) {
    pollfd fds[4] = {{finished.fd(), POLLIN, 0},
                     {signals.fd(), POLLIN, 0},
                     {watch.stop_signal ? -1 : reader_gone.fd(), POLLIN, 0},
                     {output_end && !output_closed ? output_end->closed.fd() : -1, POLLIN, 0}};
    const int ready = poll(fds, 4, output_closed ? kExitStatusGraceMs : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return watch;
    }
    if (fds[0].revents & POLLIN) return watch;
    if (ready == 0) {
      if (auto code = output_end->exit_code_if_exited()) {
        watch.exit_code_from_inspect = code;
        return watch;
      }
      continue;
    }
    if (fds[3].revents & POLLIN) output_closed = true;
    if (fds[2].revents & POLLIN) {
      watch.end = Watch::End::detached;
      watch.detach_cause =
          "its output can no longer be written (the terminal or the pipe's reader went away)";
      return watch;
    }
    if (!(fds[1].revents & POLLIN)) continue;
    while (auto signo = signals.take()) {
      if (*signo == SIGHUP) {
        if (watch.stop_signal) continue;  // stopping already: see it through
        watch.end = Watch::End::detached;
        watch.detach_cause = signal_outcome(SIGHUP).words;
        return watch;
      }
      if (!watch.stop_signal) {
        watch.stop_signal = signo;
        spdlog::warn(
            "{}: stopping the job (SIGTERM, then SIGKILL after {}s); press Ctrl-C again to kill "
            "it now",
            signal_outcome(*signo).words, grace_seconds);
        stopper.begin(grace_seconds);
      } else if (!kill_sent) {
        spdlog::warn("killing the job now (SIGKILL)");
        kill_sent = true;
        stopper.kill_now();
      }
    }
  }
}

// Waits up to `limit` for `event`; false when it did not come.
bool wait_for_event(const EventFd& event, std::chrono::milliseconds limit) {
  pollfd fd = {event.fd(), POLLIN, 0};
  while (true) {
    const int ready = poll(&fd, 1, static_cast<int>(limit.count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

// Says how to come back to a job that dlrun leaves running, where it still can say it.
void say_how_to_come_back(const Watch& watch, const std::string& id) {
  const std::string short_id = id.substr(0, 12);
  spdlog::warn("{}: the job keeps running as {}", watch.detach_cause, short_id);
  spdlog::warn("`dlrun attach {0}` follows it again; `dlrun logs {0}` shows its output", short_id);
}

// dlrun-timeout said so in the job's own output already; dlrun says it in its own voice too.
void say_timed_out(std::optional<std::chrono::seconds> timeout) {
  if (timeout) {
    spdlog::error("the job ran past its timeout of {} and was stopped",
                  jobspec::format_duration(*timeout));
  } else {
    spdlog::error("the job ran past its timeout and was stopped");
  }
}

// The job from its created container on: attach, start, stream, wait, and what the exit means.
Result<JobExit> follow_job(engine::EngineClient& client, const std::string& id,
                           const ContainerPlan& plan, const RunOptions& options,
                           SignalWatcher& signals) {
  // Wait and attach both go in before start: the daemon registers the waiter and hooks the
  // output pipes before it answers, so nothing the job prints or does can be missed.
  // Ends both streams when the run is abandoned before the job started (the daemon does not close
  // the attach stream of a container removed before its start), or left running.
  const std::stop_source abandoning;  // request_stop() is const: the source is shared state
  EventFd finished;
  ReadyLatch wait_ready;
  std::optional<Result<std::int64_t>> wait_result;
  std::thread waiter([&] {
    wait_result = client.wait_container(
        id, engine::WaitCondition::next_exit, [&] { wait_ready.set(true); },
        abandoning.get_token());
    wait_ready.set(false);
    finished.notify();
  });

  ReadyLatch attach_ready;
  EventFd reader_gone;
  EventFd output_closed;
  OutputForwarder output(
      options.stdout_fd, options.stderr_fd, [&] { attach_ready.set(true); },
      abandoning.get_token());
  output.on_reader_gone([&] { reader_gone.notify(); });
  std::optional<Result<void>> attach_result;
  std::thread attacher([&] {
    attach_result = client.attach_container(id, output);
    output.finish();
    attach_ready.set(false);
    output_closed.notify();
  });

  Stopper stopper(client, id);
  auto join_streams = [&] {
    waiter.join();
    attacher.join();
  };
  // Before the job runs, the way out is removal, and the streams are ended rather than awaited.
  auto abandon = [&] {
    (void)client.remove_container(id);
    abandoning.request_stop();
    join_streams();
  };

  constexpr auto kReadyLimit = std::chrono::seconds(60);
  using State = ReadyLatch::State;
  const State wait_state = wait_ready.wait(kReadyLimit);
  const State attach_state = attach_ready.wait(kReadyLimit);
  if (wait_state != State::ready || attach_state != State::ready) {
    std::optional<Error> cause;
    if (wait_state == State::failed && wait_result && !*wait_result) {
      cause = wait_result->error();
    } else if (attach_state == State::failed && attach_result && !*attach_result) {
      cause = attach_result->error();
    }
    abandon();
    if (cause) return std::unexpected(*cause);
    return fail(ErrorKind::engine, "the daemon did not attach to the container within a minute",
                "the daemon may be overloaded; check `journalctl -u docker`");
  }

  // A Ctrl-C (or a hang-up) while the container was being created: never start it.
  if (auto early_signal = signals.take()) {
    abandon();
    const SignalOutcome& outcome = signal_outcome(*early_signal);
    spdlog::warn("{}: the job was not started", outcome.words);
    return JobExit{
        .exit_code = outcome.exit_code(), .ending = Ending::stopped, .never_started = true};
  }
  if (auto started = client.start_container(id); !started) {
    abandon();
    return std::unexpected(in_job_terms(started.error()));
  }

  const OutputEnd output_end{output_closed, [&]() -> std::optional<int> {
                               auto state = client.inspect_container(id);
                               if (!state || state->running) return std::nullopt;
                               return state->exit_code;
                             }};
  const Watch watch =
      watch_job(finished, reader_gone, signals, stopper, plan.stop_grace_seconds, &output_end);
  if (watch.end == Watch::End::detached) {
    abandoning.request_stop();
    join_streams();
    const std::string name = plan.container_name + std::string(kDetachedSuffix);
    if (auto renamed = client.rename_container(id, name); !renamed) {
      spdlog::warn(
          "could not mark the container as left running ({}): `dlrun clean` will take "
          "it for a killed dlrun's",
          renamed.error().message);
    }
    say_how_to_come_back(watch, id);
    if (plan.resources.log_bytes == 0) {
      spdlog::warn(
          "its output from here on is lost: the spec keeps none (resources.log_size "
          "\"none\")");
    }
    return JobExit{exit_code::hung_up, Ending::running, true};
  }
  // One stream ended, the other should follow at once; a daemon that loses track of it must not
  // hold the run forever.
  constexpr auto kOtherStreamLimit = std::chrono::seconds(5);
  if (watch.exit_code_from_inspect) {
    spdlog::debug("the daemon did not answer the wait; the exit status is the container's own");
    abandoning.request_stop();
    join_streams();
    if (watch.stop_signal) {
      return JobExit{signal_outcome(*watch.stop_signal).exit_code(), Ending::stopped};
    }
    return job_exit(client, id, *watch.exit_code_from_inspect, plan.timeout.has_value());
  }
  if (!wait_for_event(output_closed, kOtherStreamLimit)) {
    spdlog::warn(
        "the daemon did not end the job's output stream within {}s of its exit: output may be "
        "missing its end",
        kOtherStreamLimit.count());
    abandoning.request_stop();
  }
  join_streams();

  if (!wait_result || !*wait_result) {
    return std::unexpected(
        wait_result ? wait_result->error()
                    : Error{ErrorKind::internal, "lost the container's exit status", ""});
  }
  if (watch.stop_signal) {
    return JobExit{signal_outcome(*watch.stop_signal).exit_code(), Ending::stopped};
  }
  if (const auto& failure = output.failure()) return std::unexpected(*failure);
  auto exit = job_exit(client, id, static_cast<int>(**wait_result), plan.timeout.has_value());
  if (exit && (exit->ending == Ending::failed || exit->ending == Ending::killed)) {
    if (const GpuFailure* failure = recognize_gpu_failure(output.last_output())) {
      say_gpu_failure(*failure);
      exit->gpu_failure = failure->id;
    }
  }
  return exit;
}

// Copies dlrun-timeout into a job that has a deadline, before it starts.
Result<void> install_deadline(engine::EngineClient& client, const ContainerPlan& plan,
                              const std::string& id) {
  if (!plan.timeout) return {};
  auto copied = client.put_archive(id, "/", timeout_program_archive());
  if (!copied) {
    Error error = copied.error();
    error.message = "could not copy dlrun's timeout keeper into the container: " + error.message;
    return std::unexpected(error);
  }
  return {};
}

}  // namespace

bool was_oom_killed(engine::EngineClient& client, const std::string& id,
                    const engine::ContainerState& state) {
  if (state.oom_killed) return true;
  // The daemon can lose the race for good: its OOM event handled after the exit leaves the
  // state's flag unset (Docker 20.10), but the event is still in its log.
  const auto created = engine::parse_engine_time(state.created_at);
  if (!created) return false;
  auto had_oom = client.container_had_oom_event(id, static_cast<std::int64_t>(*created) - 1);
  return had_oom && *had_oom;
}

Result<JobExit> job_exit(engine::EngineClient& client, const std::string& id, int status,
                         bool has_timeout) {
  // A job that succeeded needs no post-mortem. One that failed may have lost a process (a
  // DataLoader worker, say) to the OOM killer, which only the daemon's state tells.
  if (status == 0) return JobExit{};
  auto state = client.inspect_container(id);
  if (!state) return std::unexpected(state.error());
  // The daemon records an OOM kill from an event of its own, which can land after the exit it
  // caused (seen up to a second late on a loaded host): give a SIGKILLed job's state two
  // seconds to catch up before calling it a plain kill. Only jobs killed by SIGKILL wait.
  for (int retry = 0; retry < 20 && !state->oom_killed && status == exit_code::oom_killed;
       ++retry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto again = client.inspect_container(id);
    if (!again) break;
    state = std::move(again);
  }
  if (status == exit_code::oom_killed && was_oom_killed(client, id, *state)) {
    const std::string limit = state->memory_bytes > 0 ? jobspec::format_size(state->memory_bytes)
                                                      : std::string("none set: the host ran out");
    spdlog::error("killed: out of memory (limit {})", limit);
    spdlog::info("hint: raise resources.memory, or lower the batch size or DataLoader workers");
    return JobExit{exit_code::oom_killed, Ending::out_of_memory};
  }
  if (status == exit_code::oom_killed) {
    spdlog::error("the job was killed (SIGKILL); the daemon recorded no out-of-memory kill");
  }
  const Ending ending = ending_of(status, false, has_timeout);
  if (ending == Ending::timed_out) say_timed_out(std::nullopt);
  return JobExit{status, ending};
}

namespace {

// An engine that takes the hook's GPU request and drops it (Podman's Docker API does) would run
// the job on the CPU without a word: the container as created must still ask for the GPUs. (A
// CDI request an engine cannot honour fails at the start, loudly; Podman 5.4 honours it
// without showing it in its inspect.)
Result<void> check_gpus_kept(engine::EngineClient& client, const ContainerPlan& plan,
                             const std::string& id) {
  if (plan.gpu_path.delivery != GpuDelivery::legacy_hook) return {};
  auto created = client.inspect_container(id);
  if (!created) return std::unexpected(created.error());
  if (created->device_requests > 0) return {};
  const engine::EngineIdentity engine = client.identity();
  return fail(ErrorKind::no_gpu_driver,
              "the job asks for GPUs, but " + engine.words() +
                  " dropped the request: it passes no GPUs through the Docker API's device "
                  "requests, so the job would run without them",
              engine.podman()
                  ? "Podman's Docker API passes GPUs only as CDI devices (Podman 5.4 and "
                    "later); run GPU jobs on Docker Engine with the NVIDIA Container Toolkit "
                    "(dlrun doctor checks it)"
                  : "check the engine's GPU support with dlrun doctor");
}

// What a created container needs before it starts: its GPUs checked, its deadline installed.
Result<void> ready_to_start(engine::EngineClient& client, const ContainerPlan& plan,
                            const std::string& id) {
  if (auto kept = check_gpus_kept(client, plan, id); !kept) return kept;
  return install_deadline(client, plan, id);
}

}  // namespace

Result<std::string> start_detached(engine::EngineClient& client, const ContainerPlan& plan,
                                   const std::string& create_body) {
  auto created = client.create_container(plan.container_name, create_body);
  if (!created) return std::unexpected(in_job_terms(created.error()));
  if (auto installed = ready_to_start(client, plan, *created); !installed) {
    (void)client.remove_container(*created);
    return std::unexpected(installed.error());
  }
  if (auto started = client.start_container(*created); !started) {
    (void)client.remove_container(*created);
    return std::unexpected(in_job_terms(started.error()));
  }
  return *created;
}

Result<JobExit> run_job(engine::EngineClient& client, const ContainerPlan& plan,
                        const std::string& create_body, const RunOptions& options,
                        SignalWatcher& signals) {
  auto created = client.create_container(plan.container_name, create_body);
  if (!created) return std::unexpected(in_job_terms(created.error()));
  const std::string& id = *created;
  ContainerGuard guard(client, id, options.keep);
  spdlog::debug("created container {} ({})", plan.container_name, id);
  if (auto installed = ready_to_start(client, plan, id); !installed) {
    return guard.finish(Result<JobExit>(std::unexpected(installed.error())));
  }
  auto end = follow_job(client, id, plan, options, signals);
  if (end) end->container_id = id;
  if (end && end->detached) {
    guard.release();
  } else if (end && end->ending == Ending::timed_out) {
    say_timed_out(plan.timeout);
  }
  return guard.finish(std::move(end));
}

Result<int> attach_job(engine::EngineClient& client, const std::string& id,
                       const AttachOptions& options, SignalWatcher& signals) {
  const std::stop_source abandoning;  // request_stop() is const: the source is shared state
  EventFd finished;
  EventFd reader_gone;
  OutputForwarder output(options.stdout_fd, options.stderr_fd, {}, abandoning.get_token());
  output.on_reader_gone([&] { reader_gone.notify(); });
  std::optional<Result<void>> logs_result;
  std::thread follower([&] {
    logs_result = client.container_logs(
        id, {.follow = engine::LogsFollow::follow, .tail = options.tail}, output);
    output.finish();
    finished.notify();
  });
  Stopper stopper(client, id);
  const Watch watch = watch_job(finished, reader_gone, signals, stopper, kStopGraceSeconds);
  if (watch.end == Watch::End::detached) {
    abandoning.request_stop();
    follower.join();
    say_how_to_come_back(watch, id);
    return exit_code::hung_up;
  }
  follower.join();
  if (logs_result && !*logs_result) return std::unexpected(logs_result->error());
  if (const auto& failure = output.failure()) return std::unexpected(*failure);
  // The log ends when the job's output closes; its exit status follows at once.
  auto status = client.wait_container(id, engine::WaitCondition::not_running, {});
  if (!status) return std::unexpected(status.error());
  if (watch.stop_signal) return signal_outcome(*watch.stop_signal).exit_code();
  auto exit = job_exit(client, id, static_cast<int>(*status), options.has_timeout);
  if (!exit) return std::unexpected(exit.error());
  if (exit->ending == Ending::timed_out) say_timed_out(std::nullopt);
  return exit->exit_code;
}

}  // namespace dlrun::run
