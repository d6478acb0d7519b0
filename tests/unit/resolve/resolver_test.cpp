#include "dlrun/resolve/resolver.hpp"

#include <catch2/catch.hpp>

namespace dlrun::resolve {
namespace {

struct Case {
  const char* framework;
  const char* version;  // "" for any
  const char* cuda;     // "" for any
  const char* variant;  // "", "runtime", "devel"
  const char* driver;   // "" for unknown
  std::vector<const char*> archs;
  const char* local;     // a reference present on the engine, or ""
  const char* expected;  // the chosen reference, or "error: <start of the message>"
};

std::string run(const Case& c) {
  FrameworkRequest request{c.framework, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  if (*c.version) request.version = VersionConstraint::parse(c.version);
  if (*c.cuda) request.cuda = VersionConstraint::parse(c.cuda);
  if (std::string_view(c.variant) == "runtime") request.variant = Variant::runtime;
  if (std::string_view(c.variant) == "devel") request.variant = Variant::devel;
  HostFactsOverrides overrides;
  if (*c.driver) overrides.driver_version = c.driver;
  for (const char* arch : c.archs) overrides.gpu_archs.emplace_back(arch);
  auto host = read_host_facts(overrides, builtin_catalog(), "/nonexistent");
  REQUIRE(host);
  if (!*c.driver) host->driver.reset();
  auto resolved = resolve_image(request, *host, builtin_catalog(), [&](const ImageEntry& image) {
    return image.reference == c.local;
  });
  if (!resolved) return "error: " + resolved.error().message;
  return resolved->chosen->reference;
}

}  // namespace

TEST_CASE("the resolver picks the image that runs on this host", "[resolve][resolver]") {
  const Case cases[] = {
      // The newest that fits, across drivers (minor-version compatibility for pip-wheel images).
      {"pytorch",
       "",
       "",
       "",
       "580.65.06",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "570.124.06",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "535.104.05",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "525.60.13",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "525.60.12",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "520.61.05",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "470.82.01",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "450.80.02",
       {"sm_70"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "450.36.06",
       {"sm_70"},
       "",
       "error: PyTorch images need driver >= 525.60.13 (CUDA 12.9) or driver >= 450.80.02 (CUDA "
       "11.8)"},
      {"pytorch", "", "", "", "418.39", {}, "", "error: PyTorch images need driver >= 525.60.13"},
      // Architectures from Kepler to Blackwell.
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_37"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_50"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_60"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_61"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_70"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_75"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_86"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_89"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "575.57.08",
       {"sm_100"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "575.57.08",
       {"sm_120"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "570.124.06",
       {"sm_120"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "520.61.05",
       {"sm_120"},
       "",
       "error: PyTorch images need driver >= 525.60.13 (CUDA 12.9)"},
      // Every GPU must be served.
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_90", "sm_60"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_120", "sm_60"},
       "",
       "error: GPU 1 (sm_60) has no kernels in it"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_37", "sm_90"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_80", "sm_80", "sm_80", "sm_80"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      // Version constraints.
      {"pytorch",
       "2.3",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch",
       "2.3.1",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch",
       "2.3.0",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "error: the catalog has no PyTorch 2.3.0 image"},
      {"pytorch",
       ">=2.1,<2.4",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch",
       ">=2.1,<2.4",
       "",
       "",
       "470.82.01",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.1.0-cuda11.8-cudnn8-runtime"},
      {"pytorch",
       "<2.1",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.0.1-cuda11.8-cudnn8-runtime"},
      {"pytorch",
       "2.0",
       "",
       "",
       "550.54.14",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.0.1-cuda11.8-cudnn8-runtime"},
      {"pytorch",
       "1.13",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "error: GPU 0 (sm_90) has no kernels in it"},
      // Newest CUDA ranks before runtime-over-devel: 11.7 exists only as devel.
      {"pytorch",
       "1.13",
       "",
       "",
       "550.54.14",
       {"sm_86"},
       "",
       "pytorch/pytorch:1.13.1-cuda11.7-cudnn8-devel"},
      {"pytorch",
       "1.13",
       "",
       "runtime",
       "550.54.14",
       {"sm_86"},
       "",
       "pytorch/pytorch:1.13.1-cuda11.6-cudnn8-runtime"},
      {"pytorch",
       "2.5",
       "",
       "",
       "570.124.06",
       {"sm_120"},
       "",
       "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch",
       "2.5",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"},
      {"pytorch",
       "2.5",
       "",
       "",
       "515.48.07",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.5.1-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "2.6",
       "",
       "",
       "515.48.07",
       {"sm_90"},
       "",
       "error: PyTorch 2.6 images need driver >= 525.60.13 (CUDA 12.6)"},
      {"pytorch",
       "2.99",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "error: the catalog has no PyTorch 2.99 image"},
      {"pytorch",
       ">=3.0",
       "",
       "",
       "550.54.14",
       {},
       "",
       "error: the catalog has no PyTorch >=3.0 image"},
      // CUDA constraints.
      {"pytorch",
       "",
       "11.8",
       "",
       "550.54.14",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       ">=12.4",
       "",
       "535.104.05",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch",
       "",
       "12.4",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"},
      {"pytorch",
       "",
       "12.1",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime"},
      {"pytorch",
       "",
       "<12",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "",
       ">=13",
       "",
       "580.65.06",
       {"sm_90"},
       "",
       "error: the catalog has no PyTorch with CUDA >=13 image"},
      {"pytorch",
       "2.7",
       "12.8",
       "",
       "570.124.06",
       {"sm_120"},
       "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch",
       "2.7",
       "12.8",
       "",
       "570.124.06",
       {"sm_70"},
       "",
       "error: GPU 0 (sm_70) has no kernels in it"},
      {"pytorch",
       "2.7",
       "12.8",
       "",
       "520.61.05",
       {"sm_90"},
       "",
       "error: PyTorch 2.7 with CUDA 12.8 images need driver >= 525.60.13 (CUDA 12.8); this host "
       "has 520.61.05"},
      // Variants: devel images come FROM nvidia/cuda, so they need the toolkit's driver.
      {"pytorch",
       "",
       "",
       "devel",
       "550.54.14",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.1.2-cuda12.1-cudnn8-devel"},
      {"pytorch",
       "",
       "",
       "devel",
       "530.30.02",
       {"sm_80"},
       "",
       "pytorch/pytorch:2.1.2-cuda12.1-cudnn8-devel"},
      {"pytorch",
       "",
       "",
       "devel",
       "525.60.13",
       {"sm_80"},
       "",
       "pytorch/pytorch:1.13.1-cuda11.7-cudnn8-devel"},
      {"pytorch",
       "",
       "",
       "devel",
       "470.82.01",
       {"sm_80"},
       "",
       "error: PyTorch images need driver >= 530.30.02"},
      {"pytorch",
       "2.3",
       "",
       "runtime",
       "550.54.14",
       {"sm_90"},
       "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      // An image already on the engine wins over a newer one that would need a pull.
      {"pytorch",
       "",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch",
       "",
       "",
       "",
       "470.82.01",
       {"sm_90"},
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      {"pytorch",
       "2.8",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      // Unknown hosts: nothing is ruled out but by the request.
      {"pytorch", "", "", "", "", {}, "", "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch", "2.2", "", "", "", {}, "", "pytorch/pytorch:2.2.2-cuda12.1-cudnn8-runtime"},
      {"pytorch", "", "", "", "", {"sm_37"}, "", "pytorch/pytorch:2.7.0-cuda11.8-cudnn9-runtime"},
      // Frameworks the catalog does not hold yet.
      {"tensorflow",
       "2.16",
       "",
       "",
       "550.54.14",
       {"sm_90"},
       "",
       "error: the catalog has no TensorFlow 2.16 image"},
      {"jax", "", "", "", "550.54.14", {"sm_90"}, "", "error: the catalog has no JAX image"},
  };
  STATIC_REQUIRE(sizeof(cases) / sizeof(cases[0]) >= 60);
  for (const auto& c : cases) {
    INFO(c.framework << " " << c.version << " cuda " << c.cuda << " " << c.variant << " driver "
                     << c.driver << " archs " << c.archs.size() << " local " << c.local);
    const std::string result = run(c);
    const std::string expected = c.expected;
    if (expected.starts_with("error: ")) {
      CHECK(result.substr(0, expected.size()) == expected);
    } else {
      CHECK(result == expected);
    }
  }
}

TEST_CASE("refusals say what would run here", "[resolve][resolver]") {
  HostFacts old_driver;
  old_driver.driver = Version::parse("470.82.01");
  old_driver.cuda_driver = Version::parse("11.4");
  FrameworkRequest pytorch_23{"pytorch", VersionConstraint::parse("2.3"), std::nullopt,
                              std::nullopt, std::nullopt};
  auto refused = resolve_image(pytorch_23, old_driver, builtin_catalog(),
                               [](const ImageEntry&) { return false; });
  // 2.3 has only a CUDA 12.1 image in the catalog, so the floor is 12.x's.
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "PyTorch 2.3 images need driver >= 525.60.13 (CUDA 12.1); this host has 470.82.01");
  CHECK(refused.error().hint == "upgrade the driver, or use PyTorch <= 2.7");

  HostFacts blackwell;
  blackwell.driver = Version::parse("570.124.06");
  blackwell.gpus.push_back(
      {0, "", "NVIDIA GeForce RTX 5090", "geforcertx", Version::parse("12.0"), 0});
  FrameworkRequest pytorch_25{"pytorch", VersionConstraint::parse("2.5"), std::nullopt,
                              std::nullopt, std::nullopt};
  auto no_kernels = resolve_image(pytorch_25, blackwell, builtin_catalog(),
                                  [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(no_kernels);
  CHECK(no_kernels.error().message ==
        "GPU 0 (NVIDIA GeForce RTX 5090, sm_120) has no kernels in it (PyTorch 2.5: "
        "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime)");
  CHECK(no_kernels.error().hint == "use PyTorch >= 2.7 with CUDA >= 12.8");
}

TEST_CASE("every candidate is explained", "[resolve][resolver]") {
  HostFacts host;
  host.driver = Version::parse("550.54.14");
  host.gpus.push_back({0, "", "", "", Version::parse("9.0"), 0});
  FrameworkRequest request{"pytorch", VersionConstraint::parse("2.5"), std::nullopt, std::nullopt,
                           std::nullopt};
  auto resolved =
      resolve_image(request, host, builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE(resolved);
  CHECK(resolved->reason ==
        "the newest PyTorch image that fits this host (driver 550.54.14, sm_90)");
  CHECK(resolved->considered.size() == builtin_catalog().images.size());
  CHECK(resolved->considered.front().rejections.empty());
  CHECK(resolved->considered.back().rejections.front() == "PyTorch 1.13.1 is not 2.5");
}

TEST_CASE("version constraints", "[resolve][resolver]") {
  const auto allows = [](const char* constraint, const char* version) {
    return VersionConstraint::parse(constraint)->allows(*Version::parse(version));
  };
  CHECK(allows("2.3", "2.3.1"));
  CHECK(allows("2.3", "2.3"));
  CHECK_FALSE(allows("2.3", "2.30.1"));
  CHECK_FALSE(allows("2.3.1", "2.3.2"));
  CHECK(allows(">=2.1,<2.4", "2.3.1"));
  CHECK_FALSE(allows(">=2.1,<2.4", "2.4.0"));
  CHECK(allows("==12.4", "12.4"));
  CHECK(allows(">= 12.1", "12.9"));
  CHECK_FALSE(VersionConstraint::parse("latest").has_value());
  CHECK_FALSE(VersionConstraint::parse("").has_value());
}

}  // namespace dlrun::resolve
