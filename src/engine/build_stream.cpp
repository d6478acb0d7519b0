#include "dlrun/engine/build_stream.hpp"

#include <nlohmann/json.hpp>

#include "dlrun/base64.hpp"

namespace dlrun::engine {

Result<void> BuildStreamDecoder::decode_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return {};
  const auto message = nlohmann::json::parse(line, nullptr, false);
  if (message.is_discarded()) {
    return fail(ErrorKind::engine,
                "the daemon's build progress is not JSON: " + std::string(line.substr(0, 120)),
                "is DOCKER_HOST pointing at a Docker Engine? Run with --log-level debug to see the "
                "exchange");
  }
  if (!message.is_object()) return {};
  if (const auto id = message.find("id"); id != message.end() && *id == "moby.buildkit.trace") {
    const auto aux = message.find("aux");
    if (aux == message.end() || !aux->is_string()) return {};
    if (auto status = base64_decode(aux->get_ref<const std::string&>())) {
      trace_.decode(*status, [&](std::string_view text) {
        on_event_(BuildEvent{.output = std::string(text)});
      });
    }
    return {};
  }
  BuildEvent event;
  if (const auto stream = message.find("stream"); stream != message.end() && stream->is_string()) {
    event.output = stream->get<std::string>();
  }
  if (const auto detail = message.find("errorDetail");
      detail != message.end() && detail->is_object()) {
    const auto text = detail->find("message");
    if (text != detail->end() && text->is_string()) event.error = text->get<std::string>();
  }
  if (const auto error = message.find("error");
      event.error.empty() && error != message.end() && error->is_string()) {
    event.error = error->get<std::string>();
  }
  if (const auto aux = message.find("aux"); aux != message.end() && aux->is_object()) {
    const auto id = aux->find("ID");
    if (id != aux->end() && id->is_string()) event.image_id = id->get<std::string>();
  }
  if (event.output.empty() && event.error.empty() && event.image_id.empty()) return {};
  on_event_(event);
  return {};
}

}  // namespace dlrun::engine
