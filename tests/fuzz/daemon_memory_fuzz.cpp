// dlrun's cache of what daemons refused ($XDG_CACHE_HOME/dlrun/daemons.json), loaded and asked
// as every `train` does; a file that cannot be read is an empty memory, never a failure.
#include "dlrun/run/host/daemon_memory.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  static const std::filesystem::path cache = fuzz::scratch_dir() / "cache";
  fuzz::write_file(cache / "dlrun" / "daemons.json", fuzz::as_text(data, size));
  static const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "XDG_CACHE_HOME") return cache.string();
    return std::nullopt;
  };
  const auto memory = run::DaemonMemory::load(env);
  for (const char* address : {"unix:///var/run/docker.sock", "tcp://gpu1:2376", ""}) {
    if (const auto record = memory.recall(address, "")) (void)run::format_day(record->learned);
    (void)memory.recall(address, "Docker/24.0.7 (linux)");
  }
  return 0;
}
