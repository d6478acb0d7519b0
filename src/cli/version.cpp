// The one file that sees the source's commit, which changes at every commit: only it rebuilds.
#include "dlrun/version.hpp"

#include "common.hpp"
#include "dlrun/source_commit.hpp"

namespace dlrun::cli {

std::string version_text() {
  return std::string(kVersion) + " (commit " + kSourceCommit + ")";
}

}  // namespace dlrun::cli
