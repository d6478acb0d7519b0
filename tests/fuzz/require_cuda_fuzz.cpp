// An image's environment as the daemon's image inspect gives it (one "K=V" per line), its
// NVIDIA_REQUIRE_* requirements checked against hosts with and without GPUs and drivers, as
// dlrun checks an image before it creates a container.
#include <sstream>

#include "dlrun/resolve/require_cuda.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  using resolve::GpuFacts;
  using resolve::HostFacts;
  static const std::vector<HostFacts> hosts = {
      HostFacts{},
      HostFacts{.driver = Version({550, 54, 14}), .cuda_driver = Version({12, 4})},
      HostFacts{.driver = Version({470, 82, 1}),
                .cuda_driver = Version({11, 4}),
                .gpus = {GpuFacts{0, "GPU-0", "Tesla T4", "tesla", Version({7, 5}), 0},
                         GpuFacts{1, "GPU-1", "NVIDIA A100", "", Version({8, 0}), 0}}},
      HostFacts{.driver = Version({560, 35, 3}),
                .cuda_driver = Version({12, 6}),
                .gpus = {GpuFacts{0, "GPU-2", "GeForce RTX 4090", "geforce", std::nullopt, 0}}},
  };
  std::vector<std::string> env;
  std::istringstream lines{std::string(fuzz::as_text(data, size))};
  for (std::string line; std::getline(lines, line);) env.push_back(line);
  for (const auto& requirement : resolve::image_requirements(env)) {
    for (const auto& host : hosts) (void)resolve::check_requirement(requirement, host);
  }
  return 0;
}
