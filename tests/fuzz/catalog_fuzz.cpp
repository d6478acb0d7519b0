// A user's catalog (--catalog, $DLRUN_CATALOG, ~/.config/dlrun/catalog.json) as load_catalog
// reads it: parsed, merged over the built-in one, then used as `dlrun resolve` and `train` use
// it: an image chosen for each framework on hosts with and without GPUs, its reference parsed.
#include "dlrun/engine/image_ref.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  using resolve::GpuFacts;
  using resolve::HostFacts;
  auto user = resolve::parse_catalog(fuzz::as_text(data, size), "catalog.json");
  if (!user) return 0;
  const resolve::Catalog catalog = resolve::merge_catalogs(resolve::builtin_catalog(), *user);
  static const std::vector<HostFacts> hosts = {
      HostFacts{},
      HostFacts{.driver = Version({550, 54, 14}),
                .cuda_driver = Version({12, 4}),
                .gpus = {GpuFacts{0, "", "NVIDIA H100", "", Version({9, 0}), 0},
                         GpuFacts{1, "", "Tesla T4", "", Version({7, 5}), 0}}},
      HostFacts{.driver = Version({470, 82, 1}),
                .gpus = {GpuFacts{0, "", "GeForce RTX 5090", "", Version({12, 0}), 0}}},
  };
  const auto on_engine = [](const resolve::ImageEntry& image) {
    auto ref = engine::parse_image_ref(image.reference);
    return ref && ref->familiar().size() % 2 == 0;
  };
  for (const char* framework : {"pytorch", "tensorflow", "jax", "cuda"}) {
    for (const auto& host : hosts) {
      resolve::FrameworkRequest request{.name = framework};
      if (host.driver) {
        request.cuda = VersionConstraint::parse(">=11.0");
        request.variant = resolve::Variant::runtime;
      }
      const auto host_with_cuda = [&] {
        HostFacts facts = host;
        if (facts.driver && !facts.cuda_driver)
          facts.cuda_driver = catalog.cuda_for_driver(*facts.driver);
        return facts;
      }();
      (void)resolve::resolve_image(request, host_with_cuda, catalog, on_engine);
    }
  }
  for (const auto& image : user->images) (void)catalog.min_driver_for(image);
  return 0;
}
