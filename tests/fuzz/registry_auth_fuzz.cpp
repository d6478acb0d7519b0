// Registry credentials as dlrun finds them for a pull: config.json, DOCKER_AUTH_CONFIG and a
// credential helper's answer (the helper's exit code is the first byte of its part), encoded
// for the daemon's X-Registry-Auth header. The input is four texts ("\n%%\n" between): the
// registry, config.json, DOCKER_AUTH_CONFIG (absent when empty), the helper's answer.
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/engine/registry_auth.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  namespace fs = std::filesystem;
  const auto parts = fuzz::split_input(fuzz::as_text(data, size), 4);
  static const fs::path dir = fuzz::scratch_dir() / "docker";
  fuzz::write_file(dir / "config.json", parts[1]);

  engine::DockerConfigSource source;
  source.config_dir = dir;
  if (!parts[2].empty()) source.auth_config_env = std::string(parts[2]);
  const std::string_view answer = parts[3];
  source.run_helper = [answer](const std::string&,
                               const std::string&) -> Result<engine::HelperOutput> {
    if (answer.empty()) return engine::HelperOutput{0, ""};
    return engine::HelperOutput{static_cast<unsigned char>(answer[0]) % 3,
                                std::string(answer.substr(1))};
  };
  // The registry as a pull names it: from an image reference, else as written.
  std::string registry(parts[0]);
  if (auto ref = engine::parse_image_ref(parts[0])) registry = ref->registry;
  auto found = engine::find_registry_credentials(registry, source);
  if (found && *found) (void)engine::encode_registry_auth((*found)->credentials);
  return 0;
}
