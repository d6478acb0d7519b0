#pragma once

#include <string>
#include <string_view>

// Which engine answers: the Server header of its /_ping says so before anything else is asked
// ("Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"). Messages name the engine by it, and its
// error texts are read in its own dialect.
namespace dlrun::engine {

enum class EngineProduct { docker, podman, unknown };

struct EngineIdentity {
  EngineProduct product = EngineProduct::unknown;
  std::string version;  // the product's own: "20.10.24", "4.3.1"; empty when unsaid

  // How a message names it as the subject of a sentence: "the Docker daemon", "Podman 4.3.1",
  // "the engine".
  std::string words() const;
  // "Docker 20.10.24", "Podman 4.3.1".
  std::string name() const;
  bool podman() const { return product == EngineProduct::podman; }
};

EngineIdentity identify_engine(std::string_view server_header);

}  // namespace dlrun::engine
