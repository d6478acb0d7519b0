// The user's config.json ($DLRUN_CONFIG, ~/.config/dlrun/config.json), read as every command
// reads it.
#include "dlrun/jobspec/user_config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  static const std::filesystem::path file = fuzz::scratch_dir() / "config.json";
  fuzz::write_file(file, fuzz::as_text(data, size));
  static const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "DLRUN_CONFIG") return file.string();
    return std::nullopt;
  };
  (void)jobspec::load_user_config(env);
  return 0;
}
