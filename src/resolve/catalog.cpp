// The one file that knows how the catalog is written in JSON.
#include "dlrun/resolve/catalog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace dlrun::resolve {
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

}  // namespace

std::optional<Version> Catalog::cuda_for_driver(const Version& driver) const {
  std::optional<Version> newest;
  for (const auto& toolkit : toolkits) {
    if (toolkit.min_driver <= driver && (!newest || toolkit.cuda > *newest)) newest = toolkit.cuda;
  }
  if (!newest) return std::nullopt;
  return newest->prefix(2);
}

std::optional<Version> Catalog::driver_for_cuda(const Version& cuda) const {
  std::optional<Version> lowest;
  for (const auto& toolkit : toolkits) {
    if (toolkit.cuda.prefix(2) >= cuda.prefix(2) && (!lowest || toolkit.min_driver < *lowest)) {
      lowest = toolkit.min_driver;
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
  if (!document.contains("cuda_toolkits") || !document["cuda_toolkits"].is_array()) {
    return fail(ErrorKind::internal, name + ": \"cuda_toolkits\" is missing");
  }
  for (std::size_t i = 0; i < document["cuda_toolkits"].size(); ++i) {
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
  std::sort(catalog.toolkits.begin(), catalog.toolkits.end(),
            [](const CudaToolkit& a, const CudaToolkit& b) { return a.cuda < b.cuda; });
  return catalog;
}

const Catalog& builtin_catalog() {
  static const Catalog catalog = [] {
    auto parsed = parse_catalog(builtin_catalog_json(), "data/catalog.json");
    if (!parsed) {
      // The build embeds a catalog its tests have checked; reaching this is a build defect.
      std::fprintf(stderr, "dlrun: internal error: %s\n", parsed.error().message.c_str());
      std::abort();
    }
    return *parsed;
  }();
  return catalog;
}

}  // namespace dlrun::resolve
