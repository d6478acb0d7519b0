#include "dlrun/run/job.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <future>
#include <stop_token>
#include <thread>

#include "dlrun/jobspec/units.hpp"
#include "dlrun/run/create_request.hpp"
#include "dlrun/run/output.hpp"

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

  Result<int> finish(Result<int> outcome) {
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

// Why dlrun stopped the job before it ended by itself: a signal, or the spec's timeout.
struct StopReason {
  enum class Cause { signal, timeout } cause = Cause::signal;
  int signo = 0;

  std::string_view words() const {
    return cause == Cause::timeout ? "timed out" : signal_outcome(signo).words;
  }
  int exit_code() const {
    return cause == Cause::timeout ? exit_code::timeout : signal_outcome(signo).exit_code();
  }
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

// The job from its created container on: attach, start, stream, wait, and what the exit means.
Result<int> follow_job(engine::EngineClient& client, const std::string& id,
                       const RunOptions& options, SignalWatcher& signals) {
  // Wait and attach both go in before start: the daemon registers the waiter and hooks the
  // output pipes before it answers, so nothing the job prints or does can be missed.
  // Ends both streams when the run is abandoned before the job started: the daemon does not close
  // the attach stream of a container removed before its start, and nothing may wait forever.
  std::stop_source abandoning;
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
  OutputForwarder output(
      options.stdout_fd, options.stderr_fd, [&] { attach_ready.set(true); },
      abandoning.get_token());
  std::optional<Result<void>> attach_result;
  std::thread attacher([&] {
    attach_result = client.attach_container(id, output);
    output.finish();
    attach_ready.set(false);
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

  // A Ctrl-C while the container was being created: never start it.
  if (auto early_signal = signals.take()) {
    abandon();
    const SignalOutcome& outcome = signal_outcome(*early_signal);
    spdlog::warn("{}: the job was not started", outcome.words);
    return outcome.exit_code();
  }
  if (auto started = client.start_container(id); !started) {
    abandon();
    return std::unexpected(in_job_terms(started.error()));
  }

  std::optional<StopReason> stop_reason;
  const auto deadline =
      options.timeout ? std::optional(Clock::now() + *options.timeout) : std::nullopt;
  bool kill_sent = false;
  const auto begin_stop = [&](StopReason reason) {
    stop_reason = reason;
    spdlog::warn(
        "{}: stopping the job (SIGTERM, then SIGKILL after {}s); press Ctrl-C again to kill it now",
        reason.words(), kStopGraceSeconds);
    stopper.begin(kStopGraceSeconds);
  };
  while (true) {
    pollfd fds[2] = {{finished.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    int timeout_ms = -1;
    if (deadline && !stop_reason) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      while (auto signo = signals.take()) {
        if (!stop_reason) {
          begin_stop({.cause = StopReason::Cause::signal, .signo = *signo});
        } else if (!kill_sent) {
          spdlog::warn("killing the job now (SIGKILL)");
          kill_sent = true;
          stopper.kill_now();
        }
      }
    }
    if (ready == 0 && !stop_reason) {
      spdlog::error("the job ran past its timeout of {}",
                    jobspec::format_duration(*options.timeout));
      begin_stop({.cause = StopReason::Cause::timeout});
    }
  }
  join_streams();

  if (!wait_result || !*wait_result) {
    return std::unexpected(
        wait_result ? wait_result->error()
                    : Error{ErrorKind::internal, "lost the container's exit status", ""});
  }
  if (stop_reason) return stop_reason->exit_code();
  if (const auto& failure = output.failure()) return std::unexpected(*failure);

  return job_exit_code(client, id, static_cast<int>(**wait_result));
}

}  // namespace

Result<int> job_exit_code(engine::EngineClient& client, const std::string& id, int status) {
  // A job that succeeded needs no post-mortem. One that failed may have lost a process (a
  // DataLoader worker, say) to the OOM killer, which only the daemon's state tells.
  if (status == 0) return status;
  auto state = client.inspect_container(id);
  if (!state) return std::unexpected(state.error());
  // The daemon records an OOM kill from an event of its own, which can land after the exit it
  // caused (seen up to a second late on a loaded host): give a SIGKILLed job's state two
  // seconds to catch up before calling it a plain kill. Only jobs killed by SIGKILL wait.
  for (int retry = 0; retry < 20 && !state->oom_killed && status == 137; ++retry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto again = client.inspect_container(id);
    if (!again) break;
    state = std::move(again);
  }
  if (state->oom_killed) {
    const std::string limit = state->memory_bytes > 0 ? jobspec::format_size(state->memory_bytes)
                                                      : std::string("none set: the host ran out");
    spdlog::error("killed: out of memory (limit {})", limit);
    spdlog::info("hint: raise resources.memory, or lower the batch size or DataLoader workers");
    return exit_code::oom_killed;
  }
  if (status == 137) {
    spdlog::error("the job was killed (SIGKILL); the daemon recorded no out-of-memory kill");
  }
  return status;
}

Result<std::string> start_detached(engine::EngineClient& client, const ContainerPlan& plan,
                                   const std::string& create_body) {
  auto created = client.create_container(plan.container_name, create_body);
  if (!created) return std::unexpected(in_job_terms(created.error()));
  if (auto started = client.start_container(*created); !started) {
    (void)client.remove_container(*created);
    return std::unexpected(in_job_terms(started.error()));
  }
  return *created;
}

Result<int> run_job(engine::EngineClient& client, const ContainerPlan& plan,
                    const std::string& create_body, const RunOptions& options,
                    SignalWatcher& signals) {
  auto created = client.create_container(plan.container_name, create_body);
  if (!created) return std::unexpected(in_job_terms(created.error()));
  const std::string id = *created;
  ContainerGuard guard(client, id, options.keep);
  spdlog::debug("created container {} ({})", plan.container_name, id);
  return guard.finish(follow_job(client, id, options, signals));
}

}  // namespace dlrun::run
