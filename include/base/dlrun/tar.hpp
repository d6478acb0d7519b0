#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlrun {

// One member of an archive: a directory when `contents` is empty and `directory` is set.
struct TarMember {
  std::string path;  // relative, '/'-separated, at most 100 bytes
  unsigned mode = 0644;
  bool directory = false;
  std::string_view contents;
};

// An uncompressed POSIX (ustar) archive of `members`, owned by root, for the Engine API's
// PUT /containers/{id}/archive.
std::string tar_archive(const std::vector<TarMember>& members);

}  // namespace dlrun
