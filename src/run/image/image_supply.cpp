#include "dlrun/run/image/image_supply.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

namespace dlrun::run {
namespace {

class DisplayObserver final : public engine::PullObserver {
 public:
  DisplayObserver(PullDisplay& display, SignalWatcher& signals)
      : display_(display), signals_(signals) {}
  void on_event(const engine::PullEvent& event) override {
    progress_.apply(event);
    display_.update(progress_);
  }
  bool cancelled() override {
    if (!signal_) signal_ = signals_.take();
    return signal_.has_value();
  }
  const engine::PullProgress& progress() const { return progress_; }
  std::optional<int> signal() const { return signal_; }

 private:
  PullDisplay& display_;
  SignalWatcher& signals_;
  engine::PullProgress progress_;
  std::optional<int> signal_;
};

// The engine says what the registry refused; the spec's words say what to change in the job.
Error in_spec_terms(Error error, const engine::ImageRef& ref) {
  switch (error.kind) {
    case ErrorKind::engine_permission:
      error.hint += " (dlrun reads the same credentials), or give \"registry_auth\" in the spec";
      break;
    case ErrorKind::image_not_found:
      error.hint +=
          "; or name a \"framework\" in the spec and `dlrun resolve` shows the image that fits "
          "this host";
      break;
    case ErrorKind::engine_unreachable:
      if (error.subject == "registry")
        error.hint += ", or set a \"registry_mirror\" for " + ref.registry;
      break;
    default:
      break;
  }
  return error;
}

}  // namespace

Result<engine::RegistryCredentials> credentials_from_spec(const jobspec::RegistryAuth& auth,
                                                          const std::string& registry,
                                                          const EnvLookup& lookup_env) {
  engine::RegistryCredentials credentials;
  credentials.server_address = registry;
  credentials.username = auth.username;
  if (auth.username_env) {
    auto username = lookup_env(*auth.username_env);
    if (!username) {
      return fail(ErrorKind::usage,
                  "registry_auth.username_env names " + *auth.username_env + ", which is not set",
                  "export " + *auth.username_env + " before running dlrun");
    }
    credentials.username = *username;
  }
  auto password = lookup_env(auth.password_env);
  if (!password) {
    return fail(
        ErrorKind::usage,
        "registry_auth.password_env names " + auth.password_env + ", which is not set",
        "export " + auth.password_env + " (the registry password or token) before running dlrun");
  }
  credentials.password = *password;
  return credentials;
}

Result<std::optional<engine::RegistryCredentials>> registry_credentials(
    const engine::ImageRef& ref, const ImageSupplyOptions& options,
    const engine::DockerConfigSource& docker_config) {
  if (options.credentials) return options.credentials;
  auto found = engine::find_registry_credentials(ref.registry, docker_config);
  if (!found) return std::unexpected(found.error());
  if (const auto& credentials = *found) {
    spdlog::debug("using credentials for {} from {}", ref.registry, credentials->source);
    return credentials->credentials;
  }
  return std::nullopt;
}

Result<SuppliedBase> supply_image(engine::EngineClient& client, const engine::ImageRef& ref,
                                  const ImageSupplyOptions& options,
                                  const engine::DockerConfigSource& docker_config,
                                  SignalWatcher& signals) {
  // Looked up by the name the container request will give (Podman resolves a short name to its
  // localhost/ images as well as docker.io's; Docker reads both the same), pulled by the full one.
  const std::string reference = ref.familiar();
  if (options.policy != jobspec::PullPolicy::always) {
    auto present = client.inspect_image(reference);
    if (!present) return std::unexpected(present.error());
    if (*present) return SuppliedBase{.details = std::move(**present)};
    if (options.policy == jobspec::PullPolicy::never) {
      return fail(ErrorKind::image_not_found,
                  "the image " + ref.familiar() +
                      " is not on the Docker engine, and the pull policy is \"never\"",
                  "pull it (docker pull " + ref.familiar() + "), or run with --pull missing");
    }
  }

  auto credentials = registry_credentials(ref, options, docker_config);
  if (!credentials) return std::unexpected(credentials.error());
  std::optional<std::string> auth_header;
  if (const auto& found = *credentials) auth_header = engine::encode_registry_auth(*found);

  auto display =
      make_pull_display(options.display, stderr, [] { return std::chrono::steady_clock::now(); });
  display->begin(ref.familiar());
  DisplayObserver observer(*display, signals);
  auto pulled = client.pull_image(ref, auth_header, observer);
  if (!pulled) return std::unexpected(in_spec_terms(pulled.error(), ref));
  if (*pulled == engine::PullOutcome::cancelled) {
    const int signo = observer.signal().value_or(SIGINT);
    const SignalOutcome& outcome = signal_outcome(signo);

    return fail(outcome.kind,
                std::string(outcome.words) + " while pulling " + ref.familiar() +
                    "; the pull was stopped and nothing was started",
                "run again to resume: layers already downloaded are kept");
  }
  display->end(observer.progress());
  auto pulled_image = client.inspect_image(reference);
  if (!pulled_image) return std::unexpected(pulled_image.error());
  if (!*pulled_image) {
    return fail(ErrorKind::engine,
                "the daemon reported pulling " + ref.familiar() + " but does not have it",
                "run with --log-level debug to see the exchange");
  }
  return SuppliedBase{
      .details = std::move(**pulled_image), .pulled = true, .pulled_with = *credentials};
}

}  // namespace dlrun::run
