#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/error.hpp"
#include "dlrun/user_files.hpp"
#include "dlrun/version_number.hpp"

// What dlrun knows about CUDA, drivers and images: data/catalog.json, embedded at build time.
namespace dlrun::resolve {

struct CudaToolkit {
  Version cuda;        // 12.4.0
  Version min_driver;  // the toolkit's driver: what `cuda>=12.4` in an image needs
  std::string source;
};

// Since CUDA 11, a driver of the major family's floor runs any 11.x (12.x, …) application
// built with a newer minor toolkit, short of features that need the newer driver.
struct MinorCompatFloor {
  int cuda_major = 0;
  Version min_driver;
  std::string source;
};

// A GPU architecture and the CUDA toolkits that can compile for it.
struct GpuArchitecture {
  Version capability;  // 9.0 for sm_90
  Version first_cuda;
  std::optional<Version> last_cuda;  // none: still supported
  std::string source;
};

enum class Variant { runtime, devel };
enum class ImageSource { official, ngc };

// How low a driver an image runs on: images without NVIDIA_REQUIRE_CUDA (pip wheels on
// Ubuntu) need only the minor-version-compatibility floor; images FROM nvidia/cuda need the
// toolkit's own driver, which their NVIDIA_REQUIRE_CUDA demands.
enum class DriverRule { minor_version_compatibility, toolkit };

struct ImageEntry {
  std::string framework;  // pytorch, tensorflow, jax, cuda
  Version version;        // of the framework (of CUDA for plain nvidia/cuda images)
  Version cuda;
  std::string cudnn;
  std::optional<Version> python;  // the image's interpreter, where known
  Variant variant = Variant::runtime;
  ImageSource source_kind = ImageSource::official;
  std::string reference;
  // Compute capabilities with machine code in the binaries. Plain CUDA images carry no kernels:
  // empty, and what counts is what their toolkit can compile for (Catalog::toolkit_targets).
  std::vector<Version> sass;
  std::optional<Version> ptx;  // the newest PTX carried, which the driver can JIT for newer GPUs
  // The compute capabilities the image's release notes say it supports, lowest and highest: a GPU
  // outside them is refused whatever kernels the image may carry.
  struct ArchRange {
    Version min;
    Version max;
  };
  std::optional<ArchRange> supported_gpus;
  DriverRule driver_rule = DriverRule::minor_version_compatibility;
  std::optional<Version> min_driver;  // stated by the image's own release notes; wins over the rule
  // Data-center GPUs on these driver branches (at least this version) run the image through the
  // CUDA forward-compatibility libraries it ships, below its minimum driver.
  std::vector<Version> forward_compat;
  std::vector<std::string> inferred;  // fields whose value the source implies but does not state
  // Why the framework in the image cannot use a GPU at all (a sourced defect of the published
  // image, such as a system cuDNN older than the one the framework was built with); empty if none.
  std::string gpu_unusable;
  std::string source;
};

// The NGC month an image was released in, read from its tag: 24.06 for
// "nvcr.io/nvidia/pytorch:24.06-py3". None for official images and for tags not of the YY.MM
// form.
std::optional<Version> ngc_release(const ImageEntry& image);

// The lowest driver an image runs on, and the catalog fact that sets it.
struct DriverFloor {
  enum class Basis {
    image_minimum,                // the image's own stated `min_driver`
    minor_version_compatibility,  // the floor of its CUDA major (pip wheels)
    toolkit,                      // its toolkit's own driver (FROM nvidia/cuda)
  };
  Version driver;
  Basis basis = Basis::toolkit;
  std::string source;  // the row that states it
};

struct Catalog {
  std::vector<CudaToolkit> toolkits;  // sorted by CUDA version
  std::vector<MinorCompatFloor> minor_floors;
  std::vector<GpuArchitecture> architectures;
  std::vector<ImageEntry> images;

  // Whether CUDA `cuda` can compile machine code for `capability` (SASS of the same major and a
  // lower or equal minor runs too: sm_80 code runs on 8.6).
  bool toolkit_targets(const Version& cuda, const Version& capability) const;
  // The architecture whose code runs on `capability`: the same major, the nearest lower minor.
  const GpuArchitecture* architecture_for(const Version& capability) const;

  // The row of an image reference, as the catalog writes it; null when it has none.
  const ImageEntry* image_named(std::string_view reference) const;
  // The lowest driver `image` runs on, by its driver rule.
  std::optional<Version> min_driver_for(const ImageEntry& image) const;
  // The same, with the row it comes from.
  std::optional<DriverFloor> driver_floor_for(const ImageEntry& image) const;

  // The newest CUDA version (major.minor) the driver supports: what the driver reports to
  // applications and what NVIDIA_REQUIRE_CUDA's `cuda` is compared with.
  std::optional<Version> cuda_for_driver(const Version& driver) const;
  // The lowest driver whose CUDA version is at least `cuda` (major.minor).
  std::optional<Version> driver_for_cuda(const Version& cuda) const;
  // The toolkit row that driver comes from; null when no toolkit is that new.
  const CudaToolkit* toolkit_for_cuda(const Version& cuda) const;
};

// Parses a catalog; `source` names it in errors. Every row must be complete and sourced.
Result<Catalog> parse_catalog(std::string_view json, std::string_view source);

// The catalog built into dlrun (data/catalog.json at build time).
const Catalog& builtin_catalog();
std::string_view builtin_catalog_json();

// `extra`'s rows added to `base`: an image with the same reference, a toolkit with the same
// CUDA version, or an architecture with the same capability replaces the built-in row
// (in-house images, private registries).
Catalog merge_catalogs(Catalog base, const Catalog& extra);

// The built-in catalog extended by the user's: `flag` (--catalog), else $DLRUN_CATALOG, else
// $XDG_CONFIG_HOME/dlrun/catalog.json (~/.config/dlrun/catalog.json) when it exists.
Result<Catalog> load_catalog(const std::optional<std::string>& flag, const EnvLookup& env);

// "sm_90" → 9.0, "sm_120" → 12.0, "8.6" → 8.6.
std::optional<Version> parse_gpu_arch(std::string_view text);

}  // namespace dlrun::resolve
