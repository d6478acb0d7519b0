#include "dlrun/run/host/cdi_specs.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace dlrun::run {

// As nvidia-ctk cdi generate writes it (trimmed): YAML, devices by index, UUID, MIG and "all".
constexpr const char* kNvidiaSpec = R"(---
cdiVersion: 0.5.0
containerEdits:
  env:
  - NVIDIA_VISIBLE_DEVICES=void
devices:
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: "0"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: GPU-4d2ea5a1-5d1c-8d28-e4f1-0123456789ab
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia-caps/nvidia-cap21
  name: "0:1"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: all
kind: nvidia.com/gpu
)";

TEST_CASE("a CDI spec's devices are read by name, of its kind only", "[run][host][cdi]") {
  CHECK(cdi_devices_in("nvidia.com/gpu", kNvidiaSpec) ==
        std::vector<std::string>{"0", "GPU-4d2ea5a1-5d1c-8d28-e4f1-0123456789ab", "0:1", "all"});
  CHECK(cdi_devices_in("vendor.com/fpga", kNvidiaSpec).empty());
  // JSON is YAML too; what is not a spec lists nothing.
  CHECK(cdi_devices_in("nvidia.com/gpu",
                       R"({"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu",
                           "devices": [{"name": "1", "containerEdits": {}}]})") ==
        std::vector<std::string>{"1"});
  CHECK(cdi_devices_in("nvidia.com/gpu", "kind: [unclosed").empty());
  CHECK(cdi_devices_in("nvidia.com/gpu", "just text").empty());
}

TEST_CASE("the spec directories are read as the engines read them", "[run][host][cdi]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dlrun-cdi-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "etc");
  std::filesystem::create_directories(dir / "run");
  std::ofstream(dir / "etc/nvidia.yaml") << kNvidiaSpec;
  std::ofstream(dir / "run/extra.json")
      << R"({"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu", "devices": [{"name": "1"}, {"name": "0"}]})";
  std::ofstream(dir / "run/notes.txt") << "kind: nvidia.com/gpu\ndevices:\n- name: \"9\"\n";
  std::ofstream(dir / "run/broken.yaml") << "kind: nvidia.com/gpu\ndevices: [";

  // Every spec's devices once, in directory then file order; other files are not specs.
  CHECK(
      cdi_devices_of("nvidia.com/gpu", {(dir / "etc").string(), (dir / "run").string(),
                                        (dir / "missing").string()}) ==
      std::vector<std::string>{"0", "GPU-4d2ea5a1-5d1c-8d28-e4f1-0123456789ab", "0:1", "all", "1"});
  CHECK(cdi_devices_of("nvidia.com/gpu", {}).empty());
  std::filesystem::remove_all(dir);
}

}  // namespace dlrun::run
