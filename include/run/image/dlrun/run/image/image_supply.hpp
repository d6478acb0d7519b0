#pragma once

#include <optional>
#include <string>

#include "dlrun/engine/client.hpp"
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/engine/registry_auth.hpp"
#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "dlrun/signals.hpp"
#include "dlrun/user_files.hpp"

namespace dlrun::run {

struct ImageSupplyOptions {
  jobspec::PullPolicy policy = jobspec::PullPolicy::missing;
  engine::RegistryMirrors mirrors;
  std::optional<engine::RegistryCredentials>
      credentials;  // from the spec; else the Docker config's
  PullDisplayMode display = PullDisplayMode::plain;
};

// Credentials the spec names through host variables, read now.
Result<engine::RegistryCredentials> credentials_from_spec(const jobspec::RegistryAuth& auth,
                                                          const std::string& registry,
                                                          const EnvLookup& lookup_env);

// The credentials for `ref`'s registry: the spec's, else the Docker config's; none: anonymous.
Result<std::optional<engine::RegistryCredentials>> registry_credentials(
    const engine::ImageRef& ref, const ImageSupplyOptions& options,
    const engine::DockerConfigSource& docker_config);

// The image on the engine, and how it got there.
struct SuppliedBase {
  engine::ImageDetails details;
  bool pulled = false;
  // The credentials the pull used (none: anonymous), so that nothing looks them up twice: a
  // credential helper may ask its user.
  std::optional<engine::RegistryCredentials> pulled_with;
};

// Makes `ref` present on the engine as the pull policy says, showing progress, and returns the
// image's details (one inspect when it was there already). A Ctrl-C stops the
// pull and comes back as an `interrupted` error: nothing has been created yet.
Result<SuppliedBase> supply_image(engine::EngineClient& client, const engine::ImageRef& ref,
                                  const ImageSupplyOptions& options,
                                  const engine::DockerConfigSource& docker_config,
                                  SignalWatcher& signals);

}  // namespace dlrun::run
