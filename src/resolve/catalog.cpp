// The one file that knows how the catalog is written in JSON.
#include "dlrun/resolve/catalog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/user_files.hpp"

namespace dlrun::resolve {
std::optional<Version> parse_gpu_arch(std::string_view text) {
  if (text.starts_with("sm_") || text.starts_with("SM_")) {
    const auto digits = text.substr(3);
    if (digits.size() < 2 || digits.size() > 3) return std::nullopt;
    auto major = Version::parse(digits.substr(0, digits.size() - 1));
    auto minor = Version::parse(digits.substr(digits.size() - 1));
    if (!major || !minor) return std::nullopt;
    return Version({major->major(), minor->major()});
  }
  auto version = Version::parse(text);
  if (!version || version->major() == 0) return std::nullopt;
  return version->prefix(2);
}

namespace {

using nlohmann::json;

Result<Version> version_field(const json& row, const char* key, const std::string& where) {
  if (!row.contains(key) || !row[key].is_string()) {
    return fail(ErrorKind::internal, where + ": \"" + key + "\" is missing or not a string");
  }
  auto version = Version::parse(row[key].get<std::string>());
  if (!version) {
    return fail(ErrorKind::internal,
                where + ": \"" + key + "\" is not a version: " + row[key].get<std::string>());
  }
  return *version;
}

Result<std::string> source_field(const json& row, const std::string& where) {
  if (!row.contains("source") || !row["source"].is_string() ||
      row["source"].get<std::string>().empty()) {
    return fail(ErrorKind::internal, where + ": every row needs a \"source\"");
  }
  return row["source"].get<std::string>();
}

Result<std::optional<Version>> optional_version(const json& row, const char* key,
                                                const std::string& where) {
  if (!row.contains(key)) return std::optional<Version>{};
  auto version = version_field(row, key, where);
  if (!version) return std::unexpected(version.error());
  return std::optional<Version>(*version);
}

Result<std::vector<std::string>> string_list(const json& row, const char* key,
                                             const std::string& where) {
  std::vector<std::string> values;
  if (!row.contains(key)) return values;
  if (!row[key].is_array())
    return fail(ErrorKind::internal, where + ": \"" + key + "\" must be a list of strings");
  for (const auto& value : row[key]) {
    if (!value.is_string())
      return fail(ErrorKind::internal, where + ": \"" + key + "\" must be a list of strings");
    values.push_back(value.get<std::string>());
  }
  return values;
}

Result<std::vector<Version>> architecture_list(const json& row, const char* key,
                                               const std::string& where) {
  auto names = string_list(row, key, where);
  if (!names) return std::unexpected(names.error());
  std::vector<Version> capabilities;
  for (const auto& name : *names) {
    auto parsed = parse_gpu_arch(name);
    if (!parsed) return fail(ErrorKind::internal, where + ": bad architecture \"" + name + "\"");
    capabilities.push_back(*parsed);
  }
  return capabilities;
}

Result<GpuArchitecture> parse_architecture(const json& row, const std::string& where) {
  if (!row.contains("arch") || !row["arch"].is_string())
    return fail(ErrorKind::internal, where + ": \"arch\" is missing or not a string");
  auto capability = parse_gpu_arch(row["arch"].get<std::string>());
  if (!capability)
    return fail(ErrorKind::internal, where + ": bad architecture " + row["arch"].dump());
  auto first = version_field(row, "first_cuda", where);
  if (!first) return std::unexpected(first.error());
  auto last = optional_version(row, "last_cuda", where);
  if (!last) return std::unexpected(last.error());
  auto row_source = source_field(row, where);
  if (!row_source) return std::unexpected(row_source.error());
  return GpuArchitecture{*capability, *first, *last, *row_source};
}

Result<ImageEntry> parse_image(const json& row, const std::string& where) {
  ImageEntry image;
  for (const char* key : {"framework", "reference", "variant", "source_kind", "driver_rule"}) {
    if (!row.contains(key) || !row[key].is_string()) {
      return fail(ErrorKind::internal, where + ": \"" + key + "\" is missing or not a string");
    }
  }
  image.framework = row["framework"].get<std::string>();
  image.reference = row["reference"].get<std::string>();
  if (row.contains("cudnn") && !row["cudnn"].is_string())
    return fail(ErrorKind::internal, where + ": \"cudnn\" must be a string");
  image.cudnn = row.value("cudnn", "");
  auto version = version_field(row, "version", where);
  if (!version) return std::unexpected(version.error());
  image.version = *version;
  auto cuda = version_field(row, "cuda", where);
  if (!cuda) return std::unexpected(cuda.error());
  image.cuda = *cuda;
  auto python = optional_version(row, "python", where);
  if (!python) return std::unexpected(python.error());
  image.python = *python;
  const std::string variant = row["variant"].get<std::string>();
  if (variant != "runtime" && variant != "devel")
    return fail(ErrorKind::internal, where + ": unknown variant " + variant);
  image.variant = variant == "runtime" ? Variant::runtime : Variant::devel;
  const std::string kind = row["source_kind"].get<std::string>();
  if (kind != "official" && kind != "ngc")
    return fail(ErrorKind::internal, where + ": unknown source_kind " + kind);
  image.source_kind = kind == "official" ? ImageSource::official : ImageSource::ngc;
  const std::string rule = row["driver_rule"].get<std::string>();
  if (rule != "minor_version_compatibility" && rule != "toolkit") {
    return fail(ErrorKind::internal, where + ": unknown driver_rule " + rule);
  }
  image.driver_rule =
      rule == "toolkit" ? DriverRule::toolkit : DriverRule::minor_version_compatibility;
  auto min_driver = optional_version(row, "min_driver", where);
  if (!min_driver) return std::unexpected(min_driver.error());
  image.min_driver = *min_driver;
  // A framework's binaries carry kernels for a fixed list; a plain CUDA image carries none.
  const bool plain_cuda = image.framework == "cuda";
  if (!plain_cuda && (!row.contains("sass") || !row["sass"].is_array() || row["sass"].empty())) {
    return fail(ErrorKind::internal, where + ": \"sass\" must list the architectures");
  }
  auto sass = architecture_list(row, "sass", where);
  if (!sass) return std::unexpected(sass.error());
  image.sass = std::move(*sass);
  if (row.contains("ptx") && row["ptx"].is_string()) {
    image.ptx = parse_gpu_arch(row["ptx"].get<std::string>());
    if (!image.ptx) return fail(ErrorKind::internal, where + ": bad ptx architecture");
  }
  if (row.contains("supported_gpus")) {
    const json& range = row["supported_gpus"];
    if (!range.is_object() || !range.contains("min") || !range.contains("max") ||
        !range["min"].is_string() || !range["max"].is_string())
      return fail(ErrorKind::internal,
                  where + ": \"supported_gpus\" must be {\"min\": \"sm_XY\", \"max\": \"sm_XY\"}");
    const auto min = parse_gpu_arch(range["min"].get<std::string>());
    const auto max = parse_gpu_arch(range["max"].get<std::string>());
    if (!min || !max || *max < *min)
      return fail(ErrorKind::internal, where + ": bad \"supported_gpus\" " + range.dump());
    image.supported_gpus = ImageEntry::ArchRange{*min, *max};
  }
  auto forward = string_list(row, "forward_compat", where);
  if (!forward) return std::unexpected(forward.error());
  for (const auto& text : *forward) {
    auto driver = Version::parse(text);
    if (!driver) return fail(ErrorKind::internal, where + ": bad forward_compat driver " + text);
    image.forward_compat.push_back(*driver);
  }
  auto inferred = string_list(row, "inferred", where);
  if (!inferred) return std::unexpected(inferred.error());
  image.inferred = std::move(*inferred);
  if (row.contains("gpu_unusable")) {
    if (!row["gpu_unusable"].is_string() || row["gpu_unusable"].get<std::string>().empty())
      return fail(ErrorKind::internal, where + ": \"gpu_unusable\" must say why, as a string");
    image.gpu_unusable = row["gpu_unusable"].get<std::string>();
  }
  auto row_source = source_field(row, where);
  if (!row_source) return std::unexpected(row_source.error());
  image.source = *row_source;
  return image;
}

}  // namespace

std::optional<Version> ngc_release(const ImageEntry& image) {
  if (image.source_kind != ImageSource::ngc) return std::nullopt;
  // Up to a digest, whose "sha256:" is not the tag.
  const std::string_view reference =
      std::string_view(image.reference).substr(0, image.reference.find('@'));
  const auto colon = reference.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view tag = reference.substr(colon + 1);
  const std::string_view month = tag.substr(0, tag.find('-'));
  if (month.size() != 5 || month[2] != '.') return std::nullopt;
  auto release = Version::parse(month);
  if (!release || release->minor() < 1 || release->minor() > 12) return std::nullopt;
  return release;
}

bool Catalog::toolkit_targets(const Version& cuda, const Version& capability) const {
  const auto wanted = cuda.prefix(2);
  return std::any_of(architectures.begin(), architectures.end(), [&](const GpuArchitecture& arch) {
    return arch.capability.major() == capability.major() &&
           arch.capability.minor() <= capability.minor() && arch.first_cuda.prefix(2) <= wanted &&
           (!arch.last_cuda || wanted <= arch.last_cuda->prefix(2));
  });
}

const GpuArchitecture* Catalog::architecture_for(const Version& capability) const {
  const GpuArchitecture* nearest = nullptr;
  for (const auto& arch : architectures) {
    if (arch.capability.major() == capability.major() &&
        arch.capability.minor() <= capability.minor() &&
        (!nearest || arch.capability > nearest->capability)) {
      nearest = &arch;
    }
  }
  return nearest;
}

std::optional<Version> Catalog::cuda_for_driver(const Version& driver) const {
  std::optional<Version> newest;
  for (const auto& toolkit : toolkits) {
    if (toolkit.min_driver <= driver && (!newest || toolkit.cuda > *newest)) newest = toolkit.cuda;
  }
  if (!newest) return std::nullopt;
  return newest->prefix(2);
}

const ImageEntry* Catalog::image_named(std::string_view reference) const {
  const auto found = std::find_if(images.begin(), images.end(), [&](const ImageEntry& image) {
    return image.reference == reference;
  });
  return found == images.end() ? nullptr : &*found;
}

std::optional<Version> Catalog::min_driver_for(const ImageEntry& image) const {
  const auto floor = driver_floor_for(image);
  if (!floor) return std::nullopt;
  return floor->driver;
}

std::optional<DriverFloor> Catalog::driver_floor_for(const ImageEntry& image) const {
  using Basis = DriverFloor::Basis;
  if (image.min_driver) return DriverFloor{*image.min_driver, Basis::image_minimum, image.source};
  if (image.driver_rule == DriverRule::minor_version_compatibility) {
    for (const auto& floor : minor_floors) {
      if (floor.cuda_major == image.cuda.major())
        return DriverFloor{floor.min_driver, Basis::minor_version_compatibility, floor.source};
    }
  }
  // The toolkit rule, and CUDA majors without a minor-compatibility floor (before CUDA 11).
  const CudaToolkit* toolkit = toolkit_for_cuda(image.cuda);
  if (!toolkit) return std::nullopt;
  return DriverFloor{toolkit->min_driver, Basis::toolkit, toolkit->source};
}

std::optional<Version> Catalog::driver_for_cuda(const Version& cuda) const {
  const CudaToolkit* toolkit = toolkit_for_cuda(cuda);
  if (!toolkit) return std::nullopt;
  return toolkit->min_driver;
}

const CudaToolkit* Catalog::toolkit_for_cuda(const Version& cuda) const {
  const CudaToolkit* lowest = nullptr;
  for (const auto& toolkit : toolkits) {
    if (toolkit.cuda.prefix(2) >= cuda.prefix(2) &&
        (!lowest || toolkit.min_driver < lowest->min_driver)) {
      lowest = &toolkit;
    }
  }
  return lowest;
}

Result<Catalog> parse_catalog(std::string_view text, std::string_view source) {
  const std::string name(source);
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& error) {
    return fail(ErrorKind::internal, name + ": invalid JSON: " + error.what());
  }
  Catalog catalog;
  if (!document.is_object()) return fail(ErrorKind::internal, name + ": expected a JSON object");
  for (const char* section :
       {"cuda_toolkits", "minor_version_compatibility", "architectures", "images"}) {
    if (document.contains(section) && !document[section].is_array()) {
      return fail(ErrorKind::internal, name + ": \"" + section + "\" must be an array");
    }
  }
  for (std::size_t i = 0; i < document.value("cuda_toolkits", json::array()).size(); ++i) {
    const json& row = document["cuda_toolkits"][i];
    const std::string where = name + ": cuda_toolkits[" + std::to_string(i) + "]";
    auto cuda = version_field(row, "cuda", where);
    if (!cuda) return std::unexpected(cuda.error());
    auto driver = version_field(row, "min_driver", where);
    if (!driver) return std::unexpected(driver.error());
    auto row_source = source_field(row, where);
    if (!row_source) return std::unexpected(row_source.error());
    catalog.toolkits.push_back({*cuda, *driver, *row_source});
  }
  for (std::size_t i = 0; i < document.value("minor_version_compatibility", json::array()).size();
       ++i) {
    const json& row = document["minor_version_compatibility"][i];
    const std::string where = name + ": minor_version_compatibility[" + std::to_string(i) + "]";
    if (!row.contains("cuda_major") || !row["cuda_major"].is_number_integer()) {
      return fail(ErrorKind::internal, where + ": \"cuda_major\" is missing");
    }
    auto driver = version_field(row, "min_driver", where);
    if (!driver) return std::unexpected(driver.error());
    auto row_source = source_field(row, where);
    if (!row_source) return std::unexpected(row_source.error());
    catalog.minor_floors.push_back({row["cuda_major"].get<int>(), *driver, *row_source});
  }
  const json architectures = document.value("architectures", json::array());
  for (std::size_t i = 0; i < architectures.size(); ++i) {
    auto arch =
        parse_architecture(architectures[i], name + ": architectures[" + std::to_string(i) + "]");
    if (!arch) return std::unexpected(arch.error());
    catalog.architectures.push_back(std::move(*arch));
  }
  const json images = document.value("images", json::array());
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto image = parse_image(images[i], name + ": images[" + std::to_string(i) + "]");
    if (!image) return std::unexpected(image.error());
    catalog.images.push_back(std::move(*image));
  }
  std::sort(catalog.toolkits.begin(), catalog.toolkits.end(),
            [](const CudaToolkit& a, const CudaToolkit& b) { return a.cuda < b.cuda; });
  return catalog;
}

Catalog merge_catalogs(Catalog base, const Catalog& extra) {
  for (const auto& toolkit : extra.toolkits) {
    std::erase_if(base.toolkits,
                  [&](const CudaToolkit& known) { return known.cuda == toolkit.cuda; });
    base.toolkits.push_back(toolkit);
  }
  std::sort(base.toolkits.begin(), base.toolkits.end(),
            [](const CudaToolkit& a, const CudaToolkit& b) { return a.cuda < b.cuda; });
  for (const auto& floor : extra.minor_floors) {
    std::erase_if(base.minor_floors, [&](const MinorCompatFloor& known) {
      return known.cuda_major == floor.cuda_major;
    });
    base.minor_floors.push_back(floor);
  }
  for (const auto& arch : extra.architectures) {
    std::erase_if(base.architectures, [&](const GpuArchitecture& known) {
      return known.capability == arch.capability;
    });
    base.architectures.push_back(arch);
  }
  for (const auto& image : extra.images) {
    std::erase_if(base.images,
                  [&](const ImageEntry& known) { return known.reference == image.reference; });
    base.images.push_back(image);
  }
  return base;
}

namespace {

// A fresh copy, to move from: a run that reads the catalog once needs no static one.
Catalog parse_builtin_catalog() {
  auto parsed = parse_catalog(builtin_catalog_json(), "data/catalog.json");
  if (!parsed) {
    // The build embeds a catalog its tests have checked; reaching this is a build defect.
    std::fprintf(stderr, "dlrun: internal error: %s\n", parsed.error().message.c_str());
    std::abort();
  }
  return std::move(*parsed);
}

}  // namespace

Result<Catalog> load_catalog(const std::optional<std::string>& flag, const EnvLookup& env) {
  const auto file = flag ? std::optional(UserFile{*flag, true})
                         : find_user_file("catalog.json", "DLRUN_CATALOG", env);
  if (!file) return parse_builtin_catalog();
  const auto& path = file->path;
  const bool must_exist = file->named_explicitly;
  const std::ifstream in(path);
  if (!in) {
    if (!must_exist) return parse_builtin_catalog();
    return fail(ErrorKind::usage, "cannot read the catalog " + path.string(),
                "check the path given by --catalog or $DLRUN_CATALOG");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto user = parse_catalog(text.str(), path.string());
  if (!user) {
    Error error = user.error();
    error.kind = ErrorKind::usage;
    error.hint = "fix the row; data/catalog.json in dlrun's sources shows the format";
    return std::unexpected(error);
  }
  return merge_catalogs(builtin_catalog(), *user);
}

const Catalog& builtin_catalog() {
  static const Catalog catalog = parse_builtin_catalog();
  return catalog;
}

}  // namespace dlrun::resolve
