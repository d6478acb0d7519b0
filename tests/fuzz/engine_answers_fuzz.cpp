// The Docker daemon's answers as the engine client reads them: the API-Version of its ping, then
// one body per request of a container's and an image's life (inspect, list, info, images, events,
// wait, create, pull and build progress, an error). The input is those bodies, "\n%%\n" between
// them; one starting "!NNN " (!201, !404, !500) is answered with that status, every other 200.
#include <charconv>

#include "dlrun/engine/client.hpp"
#include "dlrun/run/job/jobs.hpp"
#include "fuzz_input.hpp"

namespace {

using namespace dlrun;

class ScriptedDaemon final : public engine::Transport {
 public:
  explicit ScriptedDaemon(std::vector<std::string_view> answers) : answers_(std::move(answers)) {}

  Result<engine::Response> send(const engine::Request& request) override {
    return next(request, nullptr);
  }
  Result<engine::Response> stream(const engine::Request& request,
                                  engine::StreamSink& sink) override {
    return next(request, &sink);
  }

 private:
  Result<engine::Response> next(const engine::Request& request, engine::StreamSink* sink) {
    if (next_ == answers_.size()) return fail(ErrorKind::engine_unreachable, request.target);
    std::string_view body = answers_[next_++];
    long status = 200;
    if (body.size() >= 5 && body[0] == '!' && body[4] == ' ' &&
        std::from_chars(body.data() + 1, body.data() + 4, status).ec == std::errc{}) {
      body.remove_prefix(5);
    }
    engine::Response response{status, {{"api-version", std::string(body)}}, std::string(body)};
    if (sink != nullptr && status < 300) {
      sink->on_headers(status);
      // In pieces, as a socket hands them over.
      for (std::size_t at = 0; at < body.size(); at += 7) {
        const auto piece = body.substr(at, 7);
        if (!sink->on_body(std::span(piece.data(), piece.size()))) break;
      }
      response.body.clear();
    }
    return response;
  }

  std::vector<std::string_view> answers_;
  std::size_t next_ = 0;
};

struct Observer final : engine::PullObserver, engine::BuildObserver {
  void on_event(const engine::PullEvent& event) override { (void)event.error.size(); }
  void on_event(const engine::BuildEvent& event) override { (void)event.output.size(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto daemon = std::make_shared<ScriptedDaemon>(fuzz::split_input(fuzz::as_text(data, size), 14));
  auto client = engine::EngineClient::connect(daemon, "fuzz");
  if (!client) return 0;
  (void)client->inspect_container("c");
  (void)run::list_jobs(*client, run::JobUsers::everyone, run::JobStates::all, "1000");
  (void)client->info();
  (void)client->inspect_image("busybox");
  (void)client->local_image_tags();
  (void)client->any_image();
  (void)client->container_had_oom_event("c", 0);
  (void)client->wait_container("c", engine::WaitCondition::not_running, [] {});
  (void)client->create_container("job", "{}");
  Observer observer;
  (void)client->pull_image({"docker.io", "library/busybox", "latest", ""}, std::nullopt, observer);
  (void)client->build_image({.tag = "dlrun/job:1"}, observer);
  (void)client->start_container("c");
  (void)client->remove_container("c");
  return 0;
}
