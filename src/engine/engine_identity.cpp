#include "dlrun/engine/engine_identity.hpp"

namespace dlrun::engine {

std::string EngineIdentity::words() const {
  switch (product) {
    case EngineProduct::docker:
      return "the Docker daemon";
    case EngineProduct::podman:
      return name();
    case EngineProduct::unknown:
      break;
  }
  return "the engine";
}

std::string EngineIdentity::name() const {
  const std::string product_name = product == EngineProduct::podman   ? "Podman"
                                   : product == EngineProduct::docker ? "Docker"
                                                                      : "engine";
  return version.empty() ? product_name : product_name + " " + version;
}

EngineIdentity identify_engine(std::string_view server_header) {
  // "Product/version (os)"; Podman's API is libpod's.
  const auto slash = server_header.find('/');
  const std::string_view product = server_header.substr(0, slash);
  EngineIdentity identity;
  if (product == "Libpod") {
    identity.product = EngineProduct::podman;
  } else if (product == "Docker") {
    identity.product = EngineProduct::docker;
  } else {
    return identity;
  }
  if (slash != std::string_view::npos) {
    const std::string_view rest = server_header.substr(slash + 1);
    identity.version = std::string(rest.substr(0, rest.find(' ')));
  }
  return identity;
}

}  // namespace dlrun::engine
