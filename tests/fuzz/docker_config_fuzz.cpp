// The docker CLI's configuration as dlrun finds the daemon through it: config.json (its
// currentContext, credHelpers, credsStore and auths), the current context's meta.json,
// DOCKER_HOST and DOCKER_AUTH_CONFIG. The input is four texts in that order ("\n%%\n" between).
#include "dlrun/engine/docker_config.hpp"
#include "dlrun/engine/endpoint.hpp"
#include "dlrun/sha256.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  namespace fs = std::filesystem;
  const auto parts = fuzz::split_input(fuzz::as_text(data, size), 4);
  static const fs::path dir = fuzz::scratch_dir() / "docker";
  fs::remove_all(dir);
  fuzz::write_file(dir / "config.json", parts[0]);

  auto config = engine::read_docker_config(dir);
  if (config && !config->current_context.empty()) {
    // Where the CLI files the context: under the SHA-256 of its name.
    const std::string key = sha256_digest(config->current_context).substr(7);
    fuzz::write_file(dir / "contexts" / "meta" / key / "meta.json", parts[1]);
  }
  const auto env_with = [](std::map<std::string, std::string> vars) -> EnvLookup {
    vars["DOCKER_CONFIG"] = dir.string();
    return [vars](std::string_view name) -> std::optional<std::string> {
      const auto found = vars.find(std::string(name));
      if (found == vars.end()) return std::nullopt;
      return found->second;
    };
  };
  (void)engine::endpoint_from_environment("", "", env_with({}));
  const std::string host(parts[2]);
  (void)engine::endpoint_from_environment(
      "", "", env_with({{"DOCKER_HOST", host}, {"DOCKER_TLS_VERIFY", "1"}}));
  (void)engine::endpoint_from_environment(host, "", env_with({{"DOCKER_TLS", "1"}}));
  (void)engine::parse_auth_config(parts[3]);
  return 0;
}
