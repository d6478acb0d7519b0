#include "dlrun/engine/curl_transport.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "dlrun/engine/ssh_tunnel.hpp"
#include "dlrun/text.hpp"

namespace dlrun::engine {

// Outside the anonymous namespace: the pooled handles (CurlTransport's) hold it.
struct CurlHandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

namespace {

// Large enough that a 1 GiB log stream costs few callbacks; curl caps it at 10 MiB.
// For bulk streams (container output): fewer, larger reads when output comes fast. Larger
// buffers bought no speed in bench/ and cost resident memory.
constexpr long kBulkBufferBytes = 128L * 1024;

struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Exchange {
  Response response;
  StreamSink* sink = nullptr;
  bool headers_done = false;
  bool streaming = false;  // body goes to the sink (2xx) rather than into response.body
  bool sink_aborted = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t length = size * count;
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line (e.g. after 100 Continue) starts a new header block.
    exchange.response.headers.clear();
    const auto space = line.find(' ');
    exchange.response.status = space == std::string_view::npos
                                   ? 0
                                   : std::atol(std::string(line.substr(space + 1, 3)).c_str());
  } else if (line.empty()) {
    if (exchange.response.status >= 200 && !exchange.headers_done) {
      exchange.headers_done = true;
      exchange.streaming = exchange.sink != nullptr && exchange.response.status < 300;
      if (exchange.sink != nullptr) exchange.sink->on_headers(exchange.response.status);
    }
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    exchange.response.headers[lowercase(std::string(line.substr(0, colon)))] = std::string(value);
  }
  return length;
}

int on_transfer_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& exchange = *static_cast<Exchange*>(user);
  // libcurl calls this after every read as well as once a second when idle.
  if (exchange.sink != nullptr) exchange.sink->on_idle();
  if (exchange.sink != nullptr && exchange.sink->cancelled()) {
    exchange.sink_aborted = true;
    return 1;  // curl stops with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::size_t length = size * count;
  if (exchange.streaming) {
    if (!exchange.sink->on_body({data, length})) {
      exchange.sink_aborted = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
  } else {
    exchange.response.body.append(data, length);
  }
  return length;
}

Error connection_error(const Endpoint& endpoint, CURLcode code, long os_errno, const char* detail) {
  const std::string where = endpoint.kind == EndpointKind::unix_socket ? endpoint.socket_path
                            : endpoint.kind == EndpointKind::ssh       ? endpoint.display
                                                                       : endpoint.base_url;
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) {
    if (os_errno == EACCES || os_errno == EPERM) {
      return Error{
          ErrorKind::engine_permission,
          "permission denied connecting to the Docker daemon at " + where,
          "add yourself to the socket's group (usually: sudo usermod -aG docker $USER, then "
          "log in again), or use rootless Docker and point DOCKER_HOST at its socket"};
    }
    if (os_errno == ENOENT) {
      return Error{
          ErrorKind::engine_unreachable, "no Docker daemon socket at " + where,
          "is the daemon running? Start it (sudo systemctl start docker), or set DOCKER_HOST "
          "to where it listens, e.g. unix:///run/user/$UID/docker.sock for rootless Docker"};
    }
    return Error{ErrorKind::engine_unreachable,
                 "cannot connect to the Docker daemon at " + where + ": " +
                     (os_errno != 0 ? std::strerror(static_cast<int>(os_errno)) : detail),
                 "is the daemon running? Check with `systemctl status docker`, or set DOCKER_HOST"};
  }
  // Under TLS 1.3 a refused client certificate arrives as an alert on the first read.
  const bool tls_alert = endpoint.tls && (code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR) &&
                         std::string_view(detail).find("SSL") != std::string_view::npos;
  if (tls_alert || code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
      code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE ||
      code == CURLE_SSL_CIPHER || code == CURLE_SSL_ENGINE_NOTFOUND) {
    return Error{ErrorKind::engine_unreachable,
                 "the TLS handshake with the Docker daemon at " + where + " failed: " + detail,
                 endpoint.tls && endpoint.tls->cert_file.empty()
                     ? "the daemon wants a client certificate: put ca.pem, cert.pem and key.pem "
                       "in DOCKER_CERT_PATH (default ~/.docker)"
                     : "check the certificates in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) "
                       "or the Docker context's TLS files, and that the daemon's certificate "
                       "names this host"};
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Error{ErrorKind::engine_unreachable,
                 "the Docker daemon at " + where + " did not answer in time (" + detail + ")",
                 "the daemon may be overloaded or hung; check `journalctl -u docker`"};
  }
  return Error{
      ErrorKind::engine_unreachable,
      "lost the connection to the Docker daemon at " + where + ": " + detail,
      "the daemon may have stopped or restarted; check `systemctl status docker` and retry"};
}

Error ssh_error(const Endpoint& endpoint, const std::string& said, const char* detail) {
  return Error{ErrorKind::engine_unreachable,
               "cannot reach the Docker daemon over ssh at " + endpoint.display + ": " +
                   (said.empty() ? std::string(detail) : said),
               "check that `ssh " + endpoint.ssh.host +
                   " docker version` works without a prompt (a key or an agent), and that the "
                   "docker CLI is installed there"};
}

}  // namespace

// Nothing global beyond what every transfer needs: the TLS library initializes itself when a
// daemon on TCP with TLS is first contacted, so jobs on the local socket never pay its ~3 MB.
void initialize_curl() {
  curl_global_init(CURL_GLOBAL_NOTHING);
}

// More than the requests a run has in flight at once (attach, wait, and one more).
constexpr std::size_t kMostIdleHandles = 4;

// A handle and, over ssh, the connection it goes through (which libcurl closes when the handle
// is cleaned up, so the handle goes first).
struct PooledHandle {
  std::unique_ptr<SshConnection> ssh;
  std::unique_ptr<CURL, CurlHandleDeleter> curl;
};

struct CurlTransport::IdleHandles {
  std::mutex mutex;
  std::vector<PooledHandle> handles;

  // An idle handle with its connection; else a new one. Over dial-stdio, with its ssh.
  PooledHandle take(const Endpoint& endpoint, bool dial_stdio) {
    PooledHandle handle;
    {
      const std::lock_guard lock(mutex);
      if (!handles.empty()) {
        handle = std::move(handles.back());
        handles.pop_back();
      }
    }
    if (!handle.curl) handle.curl.reset(curl_easy_init());
    if (dial_stdio && !handle.ssh) handle.ssh = std::make_unique<SshConnection>(endpoint.ssh);
    return handle;
  }

  // Its options back to the defaults (none may point into the finished request's frame), its
  // connection kept.
  void give_back(PooledHandle handle) {
    curl_easy_reset(handle.curl.get());
    const std::lock_guard lock(mutex);
    if (handles.size() < kMostIdleHandles) handles.push_back(std::move(handle));
  }
};

CurlTransport::CurlTransport(Endpoint endpoint, std::chrono::milliseconds connect_timeout)
    : endpoint_(std::move(endpoint)),
      connect_timeout_(connect_timeout),
      idle_(std::make_unique<IdleHandles>()) {}

CurlTransport::~CurlTransport() = default;

Result<Response> CurlTransport::send(const Request& request) {
  return perform(request, nullptr);
}

Result<Response> CurlTransport::stream(const Request& request, StreamSink& sink) {
  return perform(request, &sink);
}

Result<Response> CurlTransport::perform(const Request& request, StreamSink* sink) {
  if (endpoint_.kind != EndpointKind::ssh) return exchange(request, sink, Route{});
  const auto route = ssh_route(false);
  if (!route) return std::unexpected(route.error());
  CURLcode code = CURLE_OK;
  auto response = exchange(request, sink, *route, &code);
  if (response || route->forwarded_socket.empty()) return response;
  if (code == CURLE_COULDNT_CONNECT) {
    // The master has ended (idle past ControlPersist, or killed) and its forward with it;
    // nothing was sent. Once more through a new one.
    spdlog::debug("engine: the ssh master's forward is gone; starting a new master");
    const auto renewed = ssh_route(true);
    if (!renewed) return std::unexpected(renewed.error());
    return exchange(request, sink, *renewed);
  }
  if (!forward_proven_.load() && request.method == "GET") {
    // The first request (the ping) found no daemon at the end of the forward: sshd may refuse
    // to forward sockets, or the socket is another than the one the remote CLI uses. The remote
    // CLI is asked instead, which also says best why it cannot connect.
    spdlog::debug("engine: no daemon through the ssh forward; using docker system dial-stdio");
    multiplexer_->stop_forwarding();
    return exchange(request, sink, Route{.dial_stdio = true});
  }
  return response;
}

Result<CurlTransport::Route> CurlTransport::ssh_route(bool again) {
  const std::lock_guard lock(route_mutex_);
  if (!started_) {
    started_ = true;
    multiplexer_ = SshMultiplexer::start(endpoint_.ssh);
    if (multiplexer_) endpoint_.ssh.control_path = multiplexer_->control_path();
  }
  if (!multiplexer_) return Route{.dial_stdio = true};
  const auto socket = multiplexer_->daemon_socket(again);
  if (!socket) return std::unexpected(ssh_error(endpoint_, socket.error(), "ssh failed"));
  if (const std::optional<std::string>& forwarded = *socket) {
    return Route{.forwarded_socket = *forwarded};
  }
  return Route{.dial_stdio = true};
}

Result<Response> CurlTransport::exchange(const Request& request, StreamSink* sink,
                                         const Route& route, CURLcode* failed_with) {
  PooledHandle handle = idle_->take(endpoint_, route.dial_stdio);
  if (!handle.curl) return fail(ErrorKind::internal, "libcurl could not create a handle");
  CURL* curl = handle.curl.get();

  std::string url;
  if (endpoint_.kind == EndpointKind::unix_socket || !route.forwarded_socket.empty()) {
    const std::string& socket =
        route.forwarded_socket.empty() ? endpoint_.socket_path : route.forwarded_socket;
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
    url = "http://docker" + request.target;  // the host part is ignored over a Unix socket
  } else if (endpoint_.kind == EndpointKind::ssh) {
    if (!handle.ssh->set_on(curl)) {
      return fail(ErrorKind::internal,
                  std::string("cannot make a private socket for ssh: ") + std::strerror(errno),
                  "check that $XDG_RUNTIME_DIR (or /tmp) is writable");
    }
    url = "http://docker" + request.target;
  } else {
    url = endpoint_.base_url + request.target;
  }
  if (endpoint_.tls) {
    const TlsSettings& tls = *endpoint_.tls;
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    if (!tls.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
    if (!tls.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // signals belong to dlrun's own loop
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_.count()));
  if (sink == nullptr && request.timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  }
  if (request.bulk) curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kBulkBufferBytes);

  // An empty Expect avoids a 100-continue round trip on large bodies.
  curl_slist* raw_headers = curl_slist_append(nullptr, "Expect:");
  if (request.body) {
    raw_headers = curl_slist_append(raw_headers, ("Content-Type: " + request.content_type).c_str());
  }
  for (const auto& [name, value] : request.headers) {
    raw_headers =
        curl_slist_append(raw_headers, std::string(name).append(": ").append(value).c_str());
  }
  const std::unique_ptr<curl_slist, CurlListDeleter> headers(raw_headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (request.method == "POST" || request.method == "PUT") {
    // Explicit empty fields: a bare CURLOPT_POST sends a chunked body read from stdin, which
    // dockerd's /start rejects. The size comes first, so a binary body (a tar) is copied whole.
    static const std::string kNoBody;
    // Both lvalues: a temporary on one side would copy the body (a build context's tar).
    const std::string& body = request.body ? *request.body : kNoBody;
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body.data());
    if (request.method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  Exchange exchange;
  exchange.sink = sink;
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  if (sink != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &exchange);
  }

  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);

  spdlog::debug("engine: {} {}", request.method, request.target);
  const CURLcode code = curl_easy_perform(curl);
  if ((code == CURLE_WRITE_ERROR || code == CURLE_ABORTED_BY_CALLBACK) && exchange.sink_aborted) {
    return std::move(exchange.response);
  }
  if (code != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    const char* detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
    spdlog::debug("engine: {} {} failed: {} (errno {})", request.method, request.target, detail,
                  os_errno);
    if (failed_with != nullptr) *failed_with = code;
    if (route.dial_stdio) {
      // Closing the connection ends its ssh, which has said why it failed, if it did.
      handle.curl.reset();
      return std::unexpected(ssh_error(endpoint_, handle.ssh->ssh_stderr(), detail));
    }
    return std::unexpected(connection_error(endpoint_, code, os_errno, detail));
  }
  spdlog::debug("engine: {} {} -> {}", request.method, request.target, exchange.response.status);
  if (!route.forwarded_socket.empty()) forward_proven_ = true;
  idle_->give_back(std::move(handle));
  return std::move(exchange.response);
}

}  // namespace dlrun::engine
