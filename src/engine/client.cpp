#include "dlrun/engine/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

namespace dlrun::engine {
namespace {

using nlohmann::json;

constexpr std::string_view kToolkitInstallHint =
    "install the NVIDIA Container Toolkit on the Docker host and restart the daemon "
    "(https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
    "install-guide.html); "
    "the daemon looks for nvidia-container-runtime-hook on its PATH only when it starts";

struct Rlimit {
  std::string_view name;     // as docker run --ulimit names it
  std::string_view what;     // in words
  std::string_view systemd;  // the systemd unit setting that raises the daemon's own
};

// runc: "error setting rlimit type 8: operation not permitted" (the numbers are Linux's).
std::optional<Rlimit> refused_rlimit(std::string_view message) {
  constexpr std::string_view kMarker = "error setting rlimit type ";
  const auto at = message.find(kMarker);
  if (at == std::string_view::npos) return std::nullopt;
  const auto number = message.substr(at + kMarker.size());
  int type = -1;
  std::from_chars(number.data(), number.data() + number.size(), type);
  switch (type) {
    case 3:
      return Rlimit{"stack", "stack size", "LimitSTACK"};
    case 6:
      return Rlimit{"nproc", "process count", "LimitNPROC"};
    case 7:
      return Rlimit{"nofile", "open-file", "LimitNOFILE"};
    case 8:
      return Rlimit{"memlock", "locked-memory", "LimitMEMLOCK"};
    default:
      return Rlimit{"ulimit", "resource", "Limit<RESOURCE>"};
  }
}

std::string daemon_message(const Response& response) {
  const auto body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>();
  }
  // Hijacked endpoints (attach) answer errors in plain text.
  std::string text = response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "HTTP " + std::to_string(response.status) : text;
}

Result<json> parse_json(const Response& response, std::string_view what) {
  try {
    return json::parse(response.body);
  } catch (const json::exception& error) {
    return fail(
        ErrorKind::engine,
        "the daemon's answer to " + std::string(what) + " is not valid JSON: " + error.what(),
        "is DOCKER_HOST pointing at a Docker Engine? Run with --log-level debug to see the "
        "exchange");
  }
}

// The daemon's JSON answered in other shapes or types than the Engine API's (nlohmann threw
// reading it): an error like an answer that is not JSON, not an exception out of dlrun.
std::unexpected<Error> unexpected_answer(std::string_view what, const json::exception& error) {
  return fail(ErrorKind::engine,
              "the daemon's answer to " + std::string(what) +
                  " is not what the Engine API describes: " + error.what(),
              "is DOCKER_HOST pointing at a Docker Engine? Run with --log-level debug to see the "
              "exchange");
}

// The body of a call that succeeded, as JSON.
Result<json> json_answer(const Result<Response>& answer, std::string_view what) {
  if (!answer) return std::unexpected(answer.error());
  return parse_json(*answer, what);
}

// A call whose answer says nothing but that it succeeded.
Result<void> succeeded(const Result<Response>& answer) {
  if (!answer) return std::unexpected(answer.error());
  return {};
}

// The strings of an array field of the daemon's answer; others, and their absence, are none.
std::vector<std::string> strings_of(const json& object, const char* key) {
  std::vector<std::string> values;
  const auto found = object.is_object() ? object.find(key) : object.end();
  if (found == object.end() || !found->is_array()) return values;
  for (const auto& item : *found) {
    if (item.is_string()) values.push_back(item.get<std::string>());
  }
  return values;
}

// An integer field of the daemon's answer; of another type (a float such as 1e300 would
// overflow the conversion), or absent, it is 0.
template <typename Integer>
Integer integer_field(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<Integer>() : Integer{};
}

std::string_view condition_name(WaitCondition condition) {
  switch (condition) {
    case WaitCondition::next_exit:
      return "next-exit";
    case WaitCondition::not_running:
      return "not-running";
    case WaitCondition::removed:
      return "removed";
  }
  return "not-running";
}

class BufferingSink final : public StreamSink {
 public:
  BufferingSink(const std::function<void()>& ready, std::stop_token stop)
      : ready_(ready), stop_(std::move(stop)) {}
  void on_headers(long status) override {
    if (status >= 200 && status < 300 && ready_) ready_();
  }
  bool on_body(std::span<const char> bytes) override {
    body.append(bytes.data(), bytes.size());
    return true;
  }
  bool cancelled() override { return stop_.stop_requested(); }
  std::string body;

 private:
  const std::function<void()>& ready_;
  std::stop_token stop_;
};

// The JSON-lines progress of a pull or a build: every event to the observer, the first error
// kept, a malformed line or the observer's cancellation ending the request. A pull ends at its
// first error; a build reads on, for the failing step's output that follows.
template <typename Decoder, typename Event, typename Observer>
class ProgressSink final : public StreamSink {
 public:
  enum class AtError { stop, read_on };

  ProgressSink(Observer& observer, AtError at_error)
      : observer_(observer), at_error_(at_error), decoder_([this](const Event& event) {
          if (!event.error.empty() && error_.empty()) error_ = event.error;
          observer_.on_event(event);
        }) {}

  void on_headers(long) override {}
  bool on_body(std::span<const char> bytes) override {
    if (auto fed = decoder_.feed(bytes); !fed) {
      malformed_ = fed.error();
      return false;
    }
    return (at_error_ == AtError::read_on || error_.empty()) && !cancelled();
  }
  bool cancelled() override {
    if (!cancelled_) cancelled_ = observer_.cancelled();
    return cancelled_;
  }
  Result<void> finish() { return decoder_.finish(); }

  const std::string& error() const { return error_; }
  const std::optional<Error>& malformed() const { return malformed_; }
  bool was_cancelled() const { return cancelled_; }

 private:
  Observer& observer_;
  AtError at_error_;
  Decoder decoder_;
  std::string error_;
  std::optional<Error> malformed_;
  bool cancelled_ = false;
};

using PullSink = ProgressSink<PullStreamDecoder, PullEvent, PullObserver>;
using BuildSink = ProgressSink<BuildStreamDecoder, BuildEvent, BuildObserver>;

// Passes a build's events on, keeping the id of the image it made.
class ImageIdKeeper final : public BuildObserver {
 public:
  explicit ImageIdKeeper(BuildObserver& observer) : observer_(observer) {}
  void on_event(const BuildEvent& event) override {
    if (!event.image_id.empty()) image_id_ = event.image_id;
    observer_.on_event(event);
  }
  bool cancelled() override { return observer_.cancelled(); }
  const std::string& image_id() const { return image_id_; }

 private:
  BuildObserver& observer_;
  std::string image_id_;
};

}  // namespace

std::optional<ApiVersion> parse_api_version(std::string_view text) {
  ApiVersion version;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto major = text.substr(0, dot);
  const auto minor = text.substr(dot + 1);
  if (std::from_chars(major.data(), major.data() + major.size(), version.major).ec != std::errc{} ||
      std::from_chars(minor.data(), minor.data() + minor.size(), version.minor).ec != std::errc{}) {
    return std::nullopt;
  }
  return version;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

namespace {

// The list endpoints' query for objects carrying `label` ("key=value" or "key").
std::string label_filter(const std::string& label) {
  const json filters = {{"label", {{label, true}}}};
  return "filters=" + url_encode(filters.dump());
}

}  // namespace

EngineClient::EngineClient(std::shared_ptr<Transport> transport, ApiVersion version,
                           std::string server_version, std::string endpoint_display)
    : transport_(std::move(transport)),
      version_(version),
      server_version_(std::move(server_version)),
      endpoint_display_(std::move(endpoint_display)) {}

Result<EngineClient> EngineClient::connect(std::shared_ptr<Transport> transport,
                                           std::string endpoint_display) {
  auto ping =
      transport->send({.method = "GET", .target = "/_ping", .timeout = std::chrono::seconds(10)});
  if (!ping) return std::unexpected(ping.error());
  if (ping->status == 400 &&
      ping->body.find("Client sent an HTTP request to an HTTPS server") != std::string::npos) {
    return fail(ErrorKind::engine_unreachable,
                "the Docker daemon at " + endpoint_display + " speaks TLS, and dlrun did not",
                "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory with ca.pem, "
                "cert.pem and key.pem (or use a Docker context that has them)");
  }
  if (ping->status != 200) {
    return fail(ErrorKind::engine_unreachable,
                "the Docker daemon at " + endpoint_display +
                    " answered its health check with HTTP " + std::to_string(ping->status) + ": " +
                    daemon_message(*ping),
                "check the daemon's state with `docker info` or `systemctl status docker`");
  }
  const auto header = ping->headers.find("api-version");
  const auto server_max = header == ping->headers.end() ? std::optional<ApiVersion>{}
                                                        : parse_api_version(header->second);
  if (!server_max) {
    return fail(ErrorKind::engine,
                "the server at " + endpoint_display + " did not say which Docker API it speaks",
                "is DOCKER_HOST pointing at a Docker Engine?");
  }
  if (*server_max < kMinimumApi) {
    return fail(ErrorKind::engine_too_old,
                "the Docker daemon at " + endpoint_display + " speaks API " +
                    server_max->to_string() +
                    ", older than the 1.40 that GPU requests (DeviceRequests) need",
                "upgrade Docker Engine to 19.03 or newer");
  }
  const ApiVersion version = std::min(*server_max, kClientMaxApi);
  std::string server;
  if (const auto it = ping->headers.find("server"); it != ping->headers.end()) server = it->second;
  spdlog::debug("engine: {} ({}) speaks API {}, using {}", endpoint_display, server,
                server_max->to_string(), version.to_string());
  EngineClient client(std::move(transport), version, std::move(server),
                      std::move(endpoint_display));
  const auto builder = ping->headers.find("builder-version");
  client.buildkit_ = builder != ping->headers.end() && builder->second == "2";
  return client;
}

std::string EngineClient::path(std::string_view api_path) const {
  return "/v" + version_.to_string() + std::string(api_path);
}

Result<Response> EngineClient::call(const Request& request, std::initializer_list<long> accepted,
                                    std::string_view action) {
  auto response = transport_->send(request);
  return accepted_answer(std::move(response), accepted, action);
}

Result<Response> EngineClient::stream_call(const Request& request, StreamSink& sink,
                                           std::initializer_list<long> accepted,
                                           std::string_view action) {
  auto response = transport_->stream(request, sink);
  return accepted_answer(std::move(response), accepted, action);
}

Result<Response> EngineClient::accepted_answer(Result<Response> response,
                                               std::initializer_list<long> accepted,
                                               std::string_view action) const {
  if (!response) return response;
  if (std::find(accepted.begin(), accepted.end(), response->status) == accepted.end())
    return std::unexpected(daemon_error(action, *response));
  return response;
}

Error EngineClient::daemon_error(std::string_view action, const Response& response) const {
  const std::string message = daemon_message(response);
  const EngineIdentity engine = identity();
  const std::string what = engine.words() + " could not " + std::string(action) + ": " + message;
  // Docker 25+ with CDI off has no "cdi" device driver.
  if (message.find("could not select device driver \"cdi\"") != std::string::npos) {
    return Error{ErrorKind::no_gpu_driver,
                 engine.words() + " at " + endpoint_display_ + " has CDI off (" + message + ")",
                 "set \"features\": {\"cdi\": true} in its daemon.json and restart it, or ask "
                 "for NVIDIA's hook: \"gpu_path\": \"legacy\""};
  }
  // The engine's CDI registry lacks a device the request names (Docker: "unresolvable CDI
  // devices"; Podman: the same words).
  if (message.find("unresolvable CDI devices") != std::string::npos) {
    return Error{ErrorKind::gpu_unavailable,
                 engine.words() + " found no CDI spec for the job's GPUs: " + message,
                 "generate NVIDIA's CDI spec on the engine's host: nvidia-ctk cdi generate "
                 "--output=/var/run/cdi/nvidia.yaml (or NVIDIA's nvidia-cdi-refresh service); "
                 "nvidia-ctk cdi list shows the devices it names"};
  }
  if (message.find("could not select device driver") != std::string::npos) {
    return Error{ErrorKind::no_gpu_driver,
                 engine.words() + " at " + endpoint_display_ + " has no NVIDIA device driver (" +
                     message + ")",
                 std::string(kToolkitInstallHint)};
  }
  if (auto limit = refused_rlimit(message)) {
    // Podman sets open-file and process limits of its own beside any the request asks for.
    const std::string fix =
        engine.podman()
            ? "give the Podman service " + std::string(limit->systemd) +
                  "=infinity in its systemd unit (podman.service), or default_ulimits in "
                  "containers.conf (rootless: the user's hard limit, /etc/security/limits.conf)"
            : "run dockerd with " + std::string(limit->systemd) +
                  "=infinity (systemd) or --default-ulimit " + std::string(limit->name) +
                  "=-1:-1 (rootless daemons cannot)";
    return Error{ErrorKind::setting_refused,
                 engine.words() + " may not raise the container's " + std::string(limit->what) +
                     " limit (" + std::string(limit->name) +
                     "), which needs CAP_SYS_RESOURCE: " + message,
                 fix, std::string(limit->name)};
  }
  // dockerd mounts its docker-init at /sbin/docker-init, or cannot find one at all; Podman
  // looks for catatonit.
  if (message.find("\"/sbin/docker-init\"") != std::string::npos ||
      message.find("\"docker-init\": executable file not found") != std::string::npos ||
      message.find("container-init binary not found") != std::string::npos) {
    return Error{ErrorKind::setting_refused,
                 engine.words() + " has no init process to give the container (" +
                     (engine.podman() ? "catatonit" : "docker-init") + "): " + message,
                 engine.podman() ? "install catatonit on the Podman host, or point init_path in "
                                   "containers.conf at one"
                                 : "install the daemon's docker-init (tini), or point "
                                   "\"init-path\" in its daemon.json at one",
                 "init"};
  }
  if (message.find("unsatisfied condition: cuda") != std::string::npos) {
    return Error{ErrorKind::gpu_unavailable,
                 "the host's NVIDIA driver is too old for this image: " + message,
                 "upgrade the host driver, or choose an image built for an older CUDA version"};
  }
  if (message.find("nvidia-container-cli") != std::string::npos ||
      message.find("nvidia-container-runtime-hook") != std::string::npos) {
    return Error{
        ErrorKind::gpu_unavailable, "the NVIDIA container hook failed: " + message,
        "check that the host's driver works (nvidia-smi) and that the NVIDIA Container Toolkit "
        "matches it; `nvidia-container-cli -k -d /dev/tty info` shows the toolkit's view"};
  }
  if (message.find("bind source path does not exist") != std::string::npos) {
    return Error{ErrorKind::mount, what,
                 "bind sources (and outputs) are paths on the Docker host at " + endpoint_display_ +
                     ": create it there, or fix the path"};
  }
  if (response.status == 404 && message.starts_with("No such image")) {
    return Error{ErrorKind::image_not_found, what,
                 "pull it first (docker pull), or check the image name and tag"};
  }
  if (response.status == 401 || response.status == 403) {
    return Error{ErrorKind::engine_permission, what,
                 "check the daemon's authorization plugins and your access"};
  }
  return Error{ErrorKind::engine, what,
               "the message above is the daemon's; run with --log-level debug for the exchange"};
}

Result<std::string> EngineClient::create_container(const std::string& name,
                                                   const std::string& body) {
  auto parsed = json_answer(call({.method = "POST",
                                  .target = path("/containers/create?name=" + url_encode(name)),
                                  .body = body},
                                 {201}, "create the container"),
                            "create");
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->contains("Id") || !(*parsed)["Id"].is_string()) {
    return fail(ErrorKind::engine, "the daemon created a container but did not say its id",
                "look for a stray container with docker ps -a and remove it");
  }
  if (parsed->contains("Warnings") && (*parsed)["Warnings"].is_array()) {
    for (const auto& warning : (*parsed)["Warnings"]) {
      if (warning.is_string()) spdlog::warn("{}", warning.get<std::string>());
    }
  }
  return (*parsed)["Id"].get<std::string>();
}

Result<void> EngineClient::start_container(const std::string& id) {
  return succeeded(call({.method = "POST", .target = path("/containers/" + id + "/start")},
                        {204, 304}, "start the container"));
}

Result<void> EngineClient::stop_container(const std::string& id, int grace_seconds) {
  return succeeded(
      call({.method = "POST",
            .target = path("/containers/" + id + "/stop?t=" + std::to_string(grace_seconds)),
            .timeout = std::chrono::seconds(grace_seconds + 60)},
           {204, 304, 404}, "stop the container"));
}

Result<void> EngineClient::kill_container(const std::string& id, std::string_view signal) {
  // 409: it already stopped, which is what we wanted.
  return succeeded(
      call({.method = "POST",
            .target = path("/containers/" + id + "/kill?signal=" + std::string(signal))},
           {204, 409, 404}, "signal the container"));
}

Result<void> EngineClient::remove_container(const std::string& id) {
  return succeeded(call({.method = "DELETE", .target = path("/containers/" + id + "?force=1&v=1")},
                        {204, 404}, "remove the container"));
}

Result<void> EngineClient::rename_container(const std::string& id, const std::string& new_name) {
  return succeeded(
      call({.method = "POST",
            .target = path("/containers/" + id + "/rename?name=" + url_encode(new_name))},
           {204}, "rename the container"));
}

Result<void> EngineClient::put_archive(const std::string& id, const std::string& directory,
                                       const std::string& tar) {
  return succeeded(
      call({.method = "PUT",
            .target = path("/containers/" + id + "/archive?path=" + url_encode(directory)),
            .body = tar,
            .content_type = "application/x-tar"},
           {200}, "copy files into the container"));
}

Result<std::int64_t> EngineClient::exec_in_container(const std::string& id,
                                                     const std::vector<std::string>& command,
                                                     const std::vector<std::string>& env,
                                                     StreamSink& sink) try {
  const json request = {{"Cmd", command},       {"Env", env},           {"User", "root"},
                        {"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}};
  auto parsed = json_answer(
      call(
          {.method = "POST", .target = path("/containers/" + id + "/exec"), .body = request.dump()},
          {201}, "start a command"),
      "exec");
  if (!parsed) return std::unexpected(parsed.error());
  const std::string exec_id = parsed->value("Id", "");
  // As with attach: no Upgrade header, and the daemon streams the output as the body.
  auto streamed = stream_call({.method = "POST",
                               .target = path("/exec/" + exec_id + "/start"),
                               .body = R"({"Detach":false,"Tty":false})",
                               .bulk = true},
                              sink, {200, 101}, "run a command");
  if (!streamed) return std::unexpected(streamed.error());
  auto state = json_answer(call({.method = "GET", .target = path("/exec/" + exec_id + "/json")},
                                {200}, "read a command's exit code"),
                           "exec inspect");
  if (!state) return std::unexpected(state.error());
  if (state->value("Running", false) || !(*state)["ExitCode"].is_number_integer()) {
    return fail(ErrorKind::engine, "the daemon ended a command's output before the command",
                "the container may have been removed meanwhile; run again");
  }
  return (*state)["ExitCode"].get<std::int64_t>();
} catch (const json::exception& error) {
  return unexpected_answer("exec", error);
}

Result<std::string> EngineClient::commit_container(const std::string& id, const std::string& config,
                                                   const std::string& comment,
                                                   const std::string& tag,
                                                   const std::vector<std::string>& changes) {
  std::string query = "container=" + url_encode(id) + "&comment=" + url_encode(comment);
  if (const auto colon = tag.rfind(':'); colon != std::string::npos) {
    query +=
        "&repo=" + url_encode(tag.substr(0, colon)) + "&tag=" + url_encode(tag.substr(colon + 1));
  }
  for (const auto& change : changes) query += "&changes=" + url_encode(change);
  // Writing a layer of gigabytes (a pip install of a framework) takes minutes.
  auto parsed = json_answer(call({.method = "POST",
                                  .target = path("/commit?" + query),
                                  .body = config,
                                  .timeout = std::chrono::hours(1)},
                                 {201}, "save the container as an image"),
                            "commit");
  if (!parsed) return std::unexpected(parsed.error());
  std::string image = parsed->value("Id", "");
  if (image.empty()) {
    return fail(ErrorKind::engine, "the daemon saved an image but did not say its id", "");
  }
  return image;
}

Result<std::optional<std::string>> EngineClient::find_image_with_label(const std::string& label) {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/images/json?all=1&" + label_filter(label))}, {200},
           "list images"),
      "list images");
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_array() || parsed->empty() || !(*parsed)[0].contains("Id") ||
      !(*parsed)[0]["Id"].is_string()) {
    return std::optional<std::string>();
  }
  return std::optional((*parsed)[0]["Id"].get<std::string>());
}

Result<ContainerState> EngineClient::inspect_container(const std::string& id) try {
  auto parsed = json_answer(call({.method = "GET", .target = path("/containers/" + id + "/json")},
                                 {200}, "inspect the container"),
                            "inspect");
  if (!parsed) return std::unexpected(parsed.error());
  const json state = parsed->value("State", json::object());
  ContainerState result;
  result.status = state.value("Status", "");
  result.running = state.value("Running", false);
  result.oom_killed = state.value("OOMKilled", false);
  result.exit_code = integer_field<int>(state, "ExitCode");
  result.error = state.value("Error", "");
  result.created_at = parsed->value("Created", "");
  result.started_at = state.value("StartedAt", "");
  result.finished_at = state.value("FinishedAt", "");
  result.image = parsed->value("Config", json::object()).value("Image", "");
  const json host_config = parsed->value("HostConfig", json::object());
  result.memory_bytes = integer_field<std::int64_t>(host_config, "Memory");
  if (const auto requests = host_config.find("DeviceRequests");
      requests != host_config.end() && requests->is_array()) {
    result.device_requests = requests->size();
  }
  return result;
} catch (const json::exception& error) {
  return unexpected_answer("inspect", error);
}

Result<std::vector<ContainerSummary>> EngineClient::list_containers_with_label(
    const std::string& label) try {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/containers/json?all=1&" + label_filter(label))},
           {200}, "list containers"),
      "list containers");
  if (!parsed) return std::unexpected(parsed.error());
  std::vector<ContainerSummary> containers;
  for (const auto& item : *parsed) {
    ContainerSummary summary;
    summary.id = item.value("Id", "");
    if (item.contains("Names") && item["Names"].is_array() && !item["Names"].empty()) {
      summary.name = item["Names"][0].get<std::string>();
      if (summary.name.starts_with('/')) summary.name.erase(0, 1);
    }
    summary.state = item.value("State", "");
    summary.status = item.value("Status", "");
    summary.image = item.value("Image", "");
    summary.created = integer_field<std::int64_t>(item, "Created");
    if (item.contains("Labels") && item["Labels"].is_object()) {
      summary.labels = item["Labels"].get<std::map<std::string, std::string>>();
    }
    containers.push_back(std::move(summary));
  }
  return containers;
} catch (const json::exception& error) {
  return unexpected_answer("list containers", error);
}

Result<bool> EngineClient::container_had_oom_event(const std::string& id, std::int64_t since) {
  const json filters = {
      {"container", {{id, true}}}, {"event", {{"oom", true}}}, {"type", {{"container", true}}}};
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // With `until` the daemon sends what it has and ends the response.
  auto response =
      call({.method = "GET",
            .target = path("/events?since=" + std::to_string(since) + "&until=" +
                           std::to_string(now + 1) + "&filters=" + url_encode(filters.dump()))},
           {200}, "read its events");
  if (!response) return std::unexpected(response.error());
  return response->body.find("\"oom\"") != std::string::npos;
}

Result<EngineInfo> EngineClient::info() try {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/info")}, {200}, "describe itself"), "info");
  if (!parsed) return std::unexpected(parsed.error());
  EngineInfo info;
  info.server_version = parsed->value("ServerVersion", "");
  info.operating_system = parsed->value("OperatingSystem", "");
  info.docker_root_dir = parsed->value("DockerRootDir", "");
  info.cpus = integer_field<int>(*parsed, "NCPU");
  info.memory_bytes = integer_field<std::int64_t>(*parsed, "MemTotal");
  info.architecture = parsed->value("Architecture", "");
  if (parsed->contains("SecurityOptions") && (*parsed)["SecurityOptions"].is_array()) {
    for (const auto& option : (*parsed)["SecurityOptions"]) {
      if (option.is_string()) info.security_options.push_back(option.get<std::string>());
    }
  }
  if (parsed->contains("Runtimes") && (*parsed)["Runtimes"].is_object()) {
    for (const auto& [name, runtime] : (*parsed)["Runtimes"].items()) info.runtimes.push_back(name);
  }
  info.cgroup_driver = parsed->value("CgroupDriver", "");
  info.cgroup_version = parsed->value("CgroupVersion", "");
  info.init_binary = parsed->value("InitBinary", "");
  info.log_drivers = strings_of(parsed->value("Plugins", json::object()), "Log");
  info.cdi_spec_dirs_listed = parsed->contains("CDISpecDirs");
  info.cdi_spec_dirs = strings_of(*parsed, "CDISpecDirs");
  info.rootless = std::any_of(
      info.security_options.begin(), info.security_options.end(),
      [](const std::string& option) { return option.find("name=rootless") != std::string::npos; });
  if (const EngineIdentity engine = identity(); engine.podman() && !engine.version.empty()) {
    auto own = json_answer(call({.method = "GET", .target = "/v" + engine.version + "/libpod/info"},
                                {200}, "describe itself"),
                           "libpod info");
    if (!own) return std::unexpected(own.error());
    const json host = own->value("host", json::object());
    info.rootless = host.value("security", json::object()).value("rootless", false);
  }
  return info;
} catch (const json::exception& error) {
  return unexpected_answer("info", error);
}

Result<EngineVersion> EngineClient::version() try {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/version")}, {200}, "say its version"), "version");
  if (!parsed) return std::unexpected(parsed.error());
  EngineVersion version;
  version.version = parsed->value("Version", "");
  version.api_version = parsed->value("ApiVersion", "");
  version.architecture = parsed->value("Arch", "");
  const json components = parsed->value("Components", json::array());
  if (components.is_array() && !components.empty() && components[0].is_object()) {
    version.product = components[0].value("Name", "");
    // Podman's own version is its component's; the top-level one is the API's Docker version.
    if (const std::string own = components[0].value("Version", ""); !own.empty())
      version.version = own;
  }
  return version;
} catch (const json::exception& error) {
  return unexpected_answer("version", error);
}

Result<std::optional<std::string>> EngineClient::any_image() {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/images/json")}, {200}, "list images"), "list images");
  if (!parsed) return std::unexpected(parsed.error());
  for (const auto& image : *parsed) {
    if (image.contains("Id") && image["Id"].is_string())
      return std::optional(image["Id"].get<std::string>());
  }
  return std::optional<std::string>();
}

Result<std::optional<ImageDetails>> EngineClient::inspect_image(const std::string& reference) try {
  auto response = call({.method = "GET", .target = path("/images/" + reference + "/json")},
                       {200, 404}, "inspect the image");
  if (response && response->status == 404) return std::optional<ImageDetails>();
  auto parsed = json_answer(response, "image inspect");
  if (!parsed) return std::unexpected(parsed.error());
  ImageDetails details;
  const json config = parsed->value("Config", json::object());
  const auto strings = [&](const char* key) {
    std::vector<std::string> values;
    if (!config.is_object() || !config.contains(key) || !config[key].is_array()) return values;
    for (const auto& entry : config[key]) {
      if (entry.is_string()) values.push_back(entry.get<std::string>());
    }
    return values;
  };
  details.id = parsed->value("Id", "");
  if (config.is_object()) {
    if (const auto user = config.find("User"); user != config.end() && user->is_string())
      details.user = user->get<std::string>();
    if (const auto labels = config.find("Labels"); labels != config.end() && labels->is_object()) {
      for (const auto& [key, value] : labels->items()) {
        if (value.is_string()) details.labels[key] = value.get<std::string>();
      }
    }
  }
  details.env = strings("Env");
  details.entrypoint = strings("Entrypoint");
  details.cmd = strings("Cmd");
  if (const auto digests = parsed->find("RepoDigests");
      digests != parsed->end() && digests->is_array()) {
    for (const auto& digest : *digests) {
      if (digest.is_string()) details.repo_digests.push_back(digest.get<std::string>());
    }
  }
  return std::optional(std::move(details));
} catch (const json::exception& error) {
  return unexpected_answer("image inspect", error);
}

Result<std::set<std::string>> EngineClient::local_image_tags() {
  auto parsed = json_answer(
      call({.method = "GET", .target = path("/images/json")}, {200}, "list images"), "list images");
  if (!parsed) return std::unexpected(parsed.error());
  std::set<std::string> tags;
  for (const auto& image : *parsed) {
    if (!image.contains("RepoTags") || !image["RepoTags"].is_array()) continue;
    for (const auto& tag : image["RepoTags"]) {
      if (tag.is_string()) tags.insert(tag.get<std::string>());
    }
  }
  return tags;
}

Result<PullOutcome> EngineClient::pull_image(const ImageRef& ref,
                                             const std::optional<std::string>& registry_auth,
                                             PullObserver& observer) {
  // Always send the tag (or digest): without one the daemon pulls every tag of the repository.
  const std::string tag = ref.digest.empty() ? ref.tag : ref.digest;
  Request request{.method = "POST",
                  .target = path("/images/create?fromImage=" + url_encode(ref.name()) +
                                 "&tag=" + url_encode(tag))};
  if (registry_auth) request.headers.emplace_back("X-Registry-Auth", *registry_auth);
  PullSink sink(observer, PullSink::AtError::stop);
  auto response = transport_->stream(request, sink);
  if (!response) return std::unexpected(response.error());
  if (sink.was_cancelled()) return PullOutcome::cancelled;
  if (response->status != 200)
    return std::unexpected(classify_pull_error(daemon_message(*response), ref));
  if (const auto& malformed = sink.malformed()) return std::unexpected(*malformed);
  if (auto finished = sink.finish(); !finished) return std::unexpected(finished.error());
  if (!sink.error().empty()) return std::unexpected(classify_pull_error(sink.error(), ref));
  return PullOutcome::completed;
}

namespace {

std::string json_query(const std::map<std::string, std::string>& values) {
  return url_encode(json(values).dump());
}

}  // namespace

Result<BuildOutcome> EngineClient::build_image(const BuildRequest& wanted,
                                               BuildObserver& observer) {
  // version=1: the classic builder, also where BuildKit is the daemon's default for the CLI.
  // rm and forcerm: no step container is left, whether the step failed or not.
  std::string query = std::string(wanted.buildkit ? "version=2" : "version=1&rm=1&forcerm=1") +
                      "&t=" + url_encode(wanted.tag);
  if (wanted.no_cache) query += "&nocache=1";
  if (!wanted.network.empty()) query += "&networkmode=" + url_encode(wanted.network);
  if (!wanted.build_args.empty()) query += "&buildargs=" + json_query(wanted.build_args);
  if (!wanted.labels.empty()) query += "&labels=" + json_query(wanted.labels);
  Request request{.method = "POST",
                  .target = path("/build?" + query),
                  .body = wanted.context_tar,
                  .content_type = "application/x-tar"};
  if (!wanted.registry_config.empty())
    request.headers.emplace_back("X-Registry-Config", wanted.registry_config);
  ImageIdKeeper keeper(observer);
  BuildSink sink(keeper, BuildSink::AtError::read_on);
  auto response = transport_->stream(request, sink);
  if (!response) return std::unexpected(response.error());
  if (sink.was_cancelled()) return BuildOutcome{.end = BuildOutcome::End::cancelled};
  if (response->status != 200) return std::unexpected(daemon_error("build the image", *response));
  if (const auto& malformed = sink.malformed()) return std::unexpected(*malformed);
  if (auto finished = sink.finish(); !finished) return std::unexpected(finished.error());
  if (!sink.error().empty()) {
    return BuildOutcome{.end = BuildOutcome::End::failed, .error = sink.error()};
  }
  return BuildOutcome{.end = BuildOutcome::End::built, .image_id = keeper.image_id()};
}

Result<std::int64_t> EngineClient::wait_container(const std::string& id, WaitCondition condition,
                                                  const std::function<void()>& ready,
                                                  const std::stop_token& stop) try {
  BufferingSink sink(ready, stop);
  auto response = transport_->stream(
      {.method = "POST",
       .target =
           path("/containers/" + id + "/wait?condition=" + std::string(condition_name(condition)))},
      sink);
  if (!response) return std::unexpected(response.error());
  if (stop.stop_requested()) {
    return fail(ErrorKind::internal, "stopped waiting for the container: the run was abandoned");
  }
  if (response->status != 200)
    return std::unexpected(daemon_error("wait for the container", *response));
  const Response body_only{.status = 200, .headers = {}, .body = sink.body};
  auto parsed = parse_json(body_only, "wait");
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->contains("Error") && (*parsed)["Error"].is_object()) {
    const std::string message = (*parsed)["Error"].value("Message", "");
    if (!message.empty()) {
      return fail(ErrorKind::engine, "waiting for the container failed: " + message,
                  "the daemon lost track of the container; check `docker ps -a`");
    }
  }
  if (!parsed->contains("StatusCode") || !(*parsed)["StatusCode"].is_number_integer()) {
    return fail(ErrorKind::engine, "the daemon's wait answer has no exit status: " + sink.body,
                "run with --log-level debug to see the exchange");
  }
  return (*parsed)["StatusCode"].get<std::int64_t>();
} catch (const json::exception& error) {
  return unexpected_answer("wait", error);
}

Result<void> EngineClient::container_logs(const std::string& id, const LogsQuery& wanted,
                                          StreamSink& sink) {
  std::string query = "stdout=1&stderr=1";
  if (wanted.follow == LogsFollow::follow) query += "&follow=1";
  if (wanted.tail) query += "&tail=" + std::to_string(*wanted.tail);
  if (wanted.since) query += "&since=" + std::to_string(*wanted.since);
  return succeeded(stream_call(
      {.method = "GET", .target = path("/containers/" + id + "/logs?" + query), .bulk = true}, sink,
      {200}, "read the container's log"));
}

Result<void> EngineClient::attach_container(const std::string& id, StreamSink& sink) {
  // No Upgrade header: dockerd then answers 200 and streams until the container's output closes,
  // which libcurl reads as an ordinary body.
  return succeeded(
      stream_call({.method = "POST",
                   .target = path("/containers/" + id + "/attach?stream=1&stdout=1&stderr=1"),
                   .bulk = true},
                  sink, {200, 101}, "attach to the container"));
}

}  // namespace dlrun::engine
