#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

// What the fuzz targets share: the input as text, cut into the several inputs some parsers
// take, and a scratch directory for the parsers that read files.
namespace dlrun::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The parts of an input written as several texts, one "\n%%\n" between each two (the seeds
// read that way); always `count` parts, the missing ones empty, the last one taking the rest.
inline std::vector<std::string_view> split_input(std::string_view text, std::size_t count) {
  constexpr std::string_view kSeparator = "\n%%\n";
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    const auto at = text.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(text);
  parts.resize(count);
  return parts;
}

// A directory of this process's own under $TMPDIR (/tmp), removed when the fuzzer exits.
inline const std::filesystem::path& scratch_dir() {
  // Never destroyed, so that the exit handler that removes it still has its name.
  static const std::filesystem::path* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dlrun-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return new std::filesystem::path(pattern);
  }();
  static const bool removed_at_exit =
      std::atexit([] { std::filesystem::remove_all(scratch_dir()); }) == 0;
  (void)removed_at_exit;
  return *dir;
}

// Writes `text` to `path` (under scratch_dir()), creating its directory.
inline void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace dlrun::fuzz
