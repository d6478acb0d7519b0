#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "dlrun/engine/api_version.hpp"
#include "dlrun/engine/build_stream.hpp"
#include "dlrun/engine/engine_identity.hpp"
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/engine/pull_stream.hpp"
#include "dlrun/engine/transport.hpp"

// Typed Engine API calls. The daemon's refusals come back as Errors with the daemon's own
// message and a hint.
namespace dlrun::engine {

struct ContainerState {
  std::string status;  // created, running, exited, …
  bool running = false;
  bool oom_killed = false;
  int exit_code = 0;
  std::int64_t memory_bytes = 0;  // its memory limit; 0: none
  std::string error;              // the daemon's start failure, if any
  std::string created_at;         // RFC 3339, as the daemon writes it
  std::string started_at;
  std::string finished_at;  // likewise; "0001-01-01T00:00:00Z" while it runs
  std::string image;        // Config.Image: as it was asked for
  // HostConfig.DeviceRequests as the engine kept them (Podman's Docker API drops them).
  std::size_t device_requests = 0;
};

struct ContainerSummary {
  std::string id;
  std::string name;
  std::string state;   // created, running, exited, …
  std::string status;  // the daemon's words: "Exited (0) 2 minutes ago"
  std::string image;
  std::int64_t created = 0;  // seconds since the epoch
  std::map<std::string, std::string> labels;
};

struct EngineInfo {
  std::string server_version;
  std::string operating_system;
  std::string docker_root_dir;
  std::vector<std::string> security_options;  // "name=seccomp,profile=default", "name=rootless", …
  std::vector<std::string> runtimes;          // "runc", "nvidia", …
  int cpus = 0;
  std::int64_t memory_bytes = 0;
  std::string architecture;                // x86_64, aarch64 (Docker); amd64, arm64 (Podman)
  std::string cgroup_driver;               // "systemd", "cgroupfs"
  std::string cgroup_version;              // "1", "2"
  std::vector<std::string> log_drivers;    // Plugins.Log: "local", "json-file", "k8s-file", …
  std::vector<std::string> cdi_spec_dirs;  // CDISpecDirs (Docker 25+): where CDI specs are read
  bool cdi_spec_dirs_listed = false;       // the answer has the field at all
  std::string init_binary;                 // InitBinary: "docker-init", "catatonit", ""
  // The engine runs as an ordinary user: Docker lists "name=rootless" among its security
  // options; Podman's Docker API never says, its own /libpod/info does.
  bool rootless = false;
};

// What GET /version says the engine is: "Docker Engine" or "Podman Engine", and its versions.
struct EngineVersion {
  std::string product;  // the first component's name: "Engine" (Docker), "Podman Engine"
  std::string version;  // "20.10.24", "4.3.1"
  std::string api_version;
  std::string architecture;
};

struct ImageDetails {
  std::string id;    // sha256:…
  std::string user;  // Config.User: "" for root
  std::map<std::string, std::string> labels;
  std::vector<std::string> env;  // Config.Env: where CUDA images state their needs
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  // RepoDigests: "repository@sha256:…" for each registry it was pulled from; none when built or
  // imported here.
  std::vector<std::string> repo_digests;
};

enum class WaitCondition { next_exit, not_running, removed };
enum class LogsFollow { no, follow };

// Which part of a container's kept output to read.
struct LogsQuery {
  LogsFollow follow = LogsFollow::no;
  std::optional<int> tail;            // only the last lines
  std::optional<std::int64_t> since;  // only what came after this time (seconds since the epoch)
};

// Sees a pull's progress as it happens, and may stop it.
class PullObserver {
 public:
  virtual ~PullObserver() = default;
  virtual void on_event(const PullEvent& event) = 0;
  // Polled about once a second and on every message.
  virtual bool cancelled() { return false; }
};

enum class PullOutcome { completed, cancelled };

// An image build by the classic builder (POST /build): the Dockerfile and what it copies, in
// `context_tar`.
struct BuildRequest {
  std::string context_tar;
  std::string tag;  // repository:tag, given to the image only when every step succeeded
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;
  std::string network;  // "" (the daemon's default), "host" or "none"
  bool no_cache = false;
  bool buildkit = false;  // the daemon's BuildKit (its /_ping says it is its builder)
  // X-Registry-Config: credentials for the base image's registry, should the builder pull it.
  std::string registry_config;
};

class BuildObserver {
 public:
  virtual ~BuildObserver() = default;
  virtual void on_event(const BuildEvent& event) = 0;
  // Polled while the build runs: true ends the request, and the daemon cancels the build.
  virtual bool cancelled() { return false; }
};

struct BuildOutcome {
  enum class End { built, failed, cancelled } end = End::built;
  std::string image_id;  // built
  std::string error;     // failed: the builder's words
};

class EngineClient {
 public:
  // Pings the daemon and settles on min(our newest, its newest) API version.
  static Result<EngineClient> connect(std::shared_ptr<Transport> transport,
                                      std::string endpoint_display);

  ApiVersion api_version() const { return version_; }
  const std::string& server_version() const { return server_version_; }
  // Docker or Podman, and its version, as its /_ping said.
  EngineIdentity identity() const { return identify_engine(server_version_); }

  // Returns the new container's id. `body` is the exact JSON of POST /containers/create.
  Result<std::string> create_container(const std::string& name, const std::string& body);
  Result<void> start_container(const std::string& id);
  Result<void> stop_container(const std::string& id, int grace_seconds);
  Result<void> kill_container(const std::string& id, std::string_view signal);
  Result<void> remove_container(const std::string& id);
  Result<void> rename_container(const std::string& id, const std::string& new_name);
  // Unpacks `tar` (an uncompressed tar archive) into the container's filesystem at `directory`;
  // works on a created container before it starts.
  Result<void> put_archive(const std::string& id, const std::string& directory,
                           const std::string& tar);
  Result<ContainerState> inspect_container(const std::string& id);
  // Runs `command` in the running container `id` as root with `env`, its output into `sink`
  // (multiplexed, as attach gives it); returns the command's exit code. The variables live in
  // the daemon's memory only: neither the container's config nor a commit records them.
  Result<std::int64_t> exec_in_container(const std::string& id,
                                         const std::vector<std::string>& command,
                                         const std::vector<std::string>& env, StreamSink& sink);
  // Makes an image of the container's filesystem (the container paused meanwhile). `config`
  // (Config's JSON) takes precedence over the container's own; `tag` "repo:tag" or empty.
  // `changes`: Dockerfile instructions applied on top ("CMD [...]", "LABEL k=v"), which
  // Podman's Docker API honours where it ignores `config`.
  Result<std::string> commit_container(const std::string& id, const std::string& config,
                                       const std::string& comment, const std::string& tag,
                                       const std::vector<std::string>& changes = {});
  // The id of an image carrying `label` ("key=value"), intermediate ones included.
  Result<std::optional<std::string>> find_image_with_label(const std::string& label);

  Result<std::vector<ContainerSummary>> list_containers_with_label(const std::string& label);
  // Whether the daemon's event log has an "oom" event of the container between `since` and now
  // (seconds since the epoch). The log keeps recent events only.
  Result<bool> container_had_oom_event(const std::string& id, std::int64_t since);
  // The image's details, or nullopt when the engine does not have it.
  Result<std::optional<ImageDetails>> inspect_image(const std::string& reference);
  // Every repository:tag the engine holds, as it names them ("pytorch/pytorch:2.3.1-…").
  Result<std::set<std::string>> local_image_tags();
  Result<EngineInfo> info();
  Result<EngineVersion> version();
  // Some image present on the engine, for probes that need one; nullopt when there is none.
  Result<std::optional<std::string>> any_image();

  // Pulls `ref`; `registry_auth` is the encoded X-Registry-Auth value, if any. A failure in the
  // stream (the daemon reports it after a 200) is an error like one before it.
  // Builds with the classic builder, or BuildKit where asked (the context goes in the request's
  // body either way: no session is needed).
  Result<BuildOutcome> build_image(const BuildRequest& request, BuildObserver& observer);
  // Whether the daemon builds with BuildKit by default (/_ping's Builder-Version: 2).
  bool has_buildkit() const { return buildkit_; }

  Result<PullOutcome> pull_image(const ImageRef& ref,
                                 const std::optional<std::string>& registry_auth,
                                 PullObserver& observer);

  // Blocks until the container meets `condition`, or until `stop` is requested (checked about
  // once a second: the daemon does not end every wait by itself); calls `ready` once the daemon
  // has registered the waiter (headers arrived), so a caller can start the container without a
  // race.
  Result<std::int64_t> wait_container(const std::string& id, WaitCondition condition,
                                      const std::function<void()>& ready,
                                      const std::stop_token& stop = {});

  // The output the engine kept of the container (multiplexed, as attach streams it); with
  // `follow`, what comes after too, until the container stops.
  Result<void> container_logs(const std::string& id, const LogsQuery& query, StreamSink& sink);

  // Streams the container's stdout/stderr (multiplexed) into `sink` until it exits; `sink`'s
  // on_headers means the daemon is attached and no output from a later start can be lost.
  Result<void> attach_container(const std::string& id, StreamSink& sink);

 private:
  EngineClient(std::shared_ptr<Transport> transport, ApiVersion version, std::string server_version,
               std::string endpoint_display);

  std::string path(std::string_view api_path) const;
  Error daemon_error(std::string_view action, const Response& response) const;
  // Every typed call goes through these: the daemon's answer when its status is one of
  // `accepted`; any other is the daemon's error, worded as failing to `action`.
  Result<Response> call(const Request& request, std::initializer_list<long> accepted,
                        std::string_view action);
  Result<Response> stream_call(const Request& request, StreamSink& sink,
                               std::initializer_list<long> accepted, std::string_view action);
  Result<Response> accepted_answer(Result<Response> response, std::initializer_list<long> accepted,
                                   std::string_view action) const;

  std::shared_ptr<Transport> transport_;
  ApiVersion version_;
  std::string server_version_;
  bool buildkit_ = false;
  std::string endpoint_display_;
};

// Percent-encodes a query value.
std::string url_encode(std::string_view text);

}  // namespace dlrun::engine
