// What dlrun reads about a host's NVIDIA driver and GPUs: /proc/driver/nvidia/version, the CSV
// of nvidia-smi run over ssh, and the --driver-version/--gpu-arch overrides ($DLRUN_DRIVER_VERSION,
// $DLRUN_GPU_ARCH); then used as dlrun uses them, to resolve an image and to check an image's
// requirement. The input is three texts ("\n%%\n" between): the /proc file, nvidia-smi's
// output, DLRUN_GPU_ARCH (whose first line, when it has two, is DLRUN_DRIVER_VERSION).
#include <map>

#include "dlrun/resolve/host_facts.hpp"
#include "dlrun/resolve/require_cuda.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "fuzz_input.hpp"

namespace {

// The smaller frameworks of the built-in catalog: plain CUDA images, whose toolkit must compile
// for each GPU, and TensorFlow's kernels; PyTorch's 98 images would take most of the time.
void use(const dlrun::resolve::HostFacts& host) {
  using namespace dlrun;
  for (const char* framework : {"cuda", "tensorflow"}) {
    (void)resolve::resolve_image({.name = framework}, host, resolve::builtin_catalog(),
                                 [](const resolve::ImageEntry&) { return false; });
  }
  (void)resolve::check_requirement("cuda>=12.1 brand=tesla,driver>=470,driver<471 arch=8.0", host);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const auto parts = fuzz::split_input(fuzz::as_text(data, size), 3);
  static const std::filesystem::path proc = fuzz::scratch_dir() / "proc";
  fuzz::write_file(proc / "driver/nvidia/version", parts[0]);
  const auto& catalog = resolve::builtin_catalog();

  (void)resolve::parse_proc_driver_version(parts[0]);
  if (auto facts = resolve::parse_nvidia_smi_csv(parts[1])) {
    facts->cuda_driver = catalog.cuda_for_driver(*facts->driver);
    use(*facts);
  }
  std::map<std::string, std::string> vars;
  const std::string_view archs = parts[2];
  if (const auto newline = archs.find('\n'); newline != std::string_view::npos) {
    vars["DLRUN_DRIVER_VERSION"] = std::string(archs.substr(0, newline));
    vars["DLRUN_GPU_ARCH"] = std::string(archs.substr(newline + 1));
  } else {
    vars["DLRUN_GPU_ARCH"] = std::string(archs);
  }
  const EnvLookup env = [&vars](std::string_view name) -> std::optional<std::string> {
    const auto found = vars.find(std::string(name));
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
  for (const auto& overrides :
       {resolve::HostFactsOverrides{}, resolve::overrides_from_environment({}, env)}) {
    auto facts =
        resolve::read_host_facts(overrides, catalog, proc, "/nonexistent/libnvidia-ml.so.1");
    if (facts) use(*facts);
  }
  return 0;
}
