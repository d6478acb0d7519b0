#include "dlrun/engine/pull_stream.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace dlrun::engine {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Far beyond any image (8 PiB): the daemon's byte counts are held to it, and so are their sums,
// so that no arithmetic on them (totals, percentages) can overflow.
constexpr std::int64_t kMaxBytes = std::int64_t{1} << 53;

std::int64_t bounded_bytes(std::int64_t bytes) {
  return std::clamp<std::int64_t>(bytes, 0, kMaxBytes);
}

// A field of another type than the daemon's counts as absent, as a missing one does.
std::string string_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::int64_t integer_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

}  // namespace

Result<void> PullStreamDecoder::decode_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return {};
  nlohmann::json message;
  try {
    message = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    return fail(ErrorKind::engine,
                "the daemon's pull progress is not JSON: " + std::string(line.substr(0, 120)),
                "is DOCKER_HOST pointing at a Docker Engine? Run with --log-level debug to see the "
                "exchange");
  }
  if (!message.is_object()) return {};
  PullEvent event;
  event.status = string_field(message, "status");
  event.id = string_field(message, "id");
  if (message.contains("progressDetail") && message["progressDetail"].is_object()) {
    const auto& detail = message["progressDetail"];
    event.current = integer_field(detail, "current");
    event.total = integer_field(detail, "total");
  }
  if (message.contains("errorDetail") && message["errorDetail"].is_object()) {
    event.error = string_field(message["errorDetail"], "message");
  }
  if (event.error.empty() && message.contains("error") && message["error"].is_string()) {
    event.error = message["error"].get<std::string>();
  }
  if (event.error.empty() && (message.contains("errorDetail") || message.contains("error"))) {
    event.error = "unknown error";
  }
  on_event_(event);
  return {};
}

void PullProgress::apply(const PullEvent& event) {
  if (event.status.starts_with("Digest: ")) {
    digest_ = event.status.substr(8);
    return;
  }
  if (event.status.starts_with("Status: Image is up to date")) {
    up_to_date_ = true;
    return;
  }
  // Only layer lines carry an id that is not the tag ("Pulling from … id=tag").
  if (event.id.empty() || event.status.starts_with("Pulling from")) return;
  Layer& layer = layers_[event.id];
  const std::string& status = event.status;
  if (status == "Downloading") {
    layer.phase = Phase::downloading;
    layer.current = bounded_bytes(event.current);
    if (event.total > 0) layer.total = bounded_bytes(event.total);
  } else if (status == "Verifying Checksum" || status == "Download complete") {
    layer.phase = Phase::downloaded;
    layer.current = layer.total;
  } else if (status == "Extracting") {
    layer.phase = Phase::extracting;
    layer.current = layer.total;
  } else if (status == "Pull complete" || status == "Already exists") {
    layer.phase = Phase::done;
    layer.current = layer.total;
  }
}

int PullProgress::layers_downloaded() const {
  int count = 0;
  for (const auto& [id, layer] : layers_) count += layer.phase >= Phase::downloaded ? 1 : 0;
  return count;
}

int PullProgress::layers_extracted() const {
  int count = 0;
  for (const auto& [id, layer] : layers_) count += layer.phase == Phase::done ? 1 : 0;
  return count;
}

std::int64_t PullProgress::bytes_done() const {
  std::int64_t done = 0;
  for (const auto& [id, layer] : layers_) done = std::min(done + layer.current, kMaxBytes);
  return done;
}

std::int64_t PullProgress::bytes_total() const {
  std::int64_t total = 0;
  for (const auto& [id, layer] : layers_) {
    // A layer still waiting has no size yet: a percentage now would jump backwards later.
    if (layer.phase == Phase::waiting && layer.total == 0) return 0;
    total = std::min(total + layer.total, kMaxBytes);
  }
  return total;
}

Error classify_pull_error(const std::string& message, const ImageRef& ref) {
  const std::string image = ref.familiar();
  if (contains(message, "no basic auth credentials") || contains(message, "unauthorized") ||
      contains(message, "authentication required") ||
      contains(message, "denied: requested access")) {
    return Error{ErrorKind::engine_permission,
                 "the registry " + ref.registry + " refused to serve " + image +
                     " without valid credentials: " + message,
                 "log in with `docker login " + ref.registry + "`", "credentials"};
  }
  if (contains(message, "manifest unknown") || contains(message, "not found") ||
      contains(message, "repository does not exist") || contains(message, "pull access denied")) {
    return Error{ErrorKind::image_not_found,
                 "the image " + image + " was not found in " + ref.registry + ": " + message,
                 "check the name and tag"};
  }
  if (contains(message, "no space left on device")) {
    return Error{ErrorKind::engine,
                 "the Docker host ran out of disk space pulling " + image + ": " + message,
                 "free space under the daemon's data root (docker system df; docker image prune)"};
  }
  if (contains(message, "dial tcp") || contains(message, "connection refused") ||
      contains(message, "i/o timeout") || contains(message, "no such host") ||
      contains(message, "TLS handshake") ||
      contains(message, "server gave HTTP response to HTTPS client") ||
      contains(message, "network is unreachable")) {
    return Error{ErrorKind::engine_unreachable,
                 "the Docker daemon could not reach the registry " + ref.registry + " to pull " +
                     image + ": " + message,
                 "check the daemon's network and proxy settings", "registry"};
  }
  return Error{ErrorKind::engine, "pulling " + image + " failed: " + message,
               "the message above is the daemon's; run with --log-level debug for the exchange"};
}

}  // namespace dlrun::engine
