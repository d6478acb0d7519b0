#pragma once

#include <filesystem>

#include "dlrun/error.hpp"
#include "dlrun/jobspec/overrides.hpp"
#include "dlrun/jobspec/parse.hpp"
#include "dlrun/user_files.hpp"

// `dlrun train --from-record dlrun-run.json`: the job a run record describes, made again — its
// spec as written, read as from its own directory, the command line's changes of then and of
// now, and its image pinned (docs/run-record.md).
namespace dlrun::run {

struct RecordedJob {
  jobspec::LoadedSpec loaded;       // the spec with every change applied, the image pinned
  std::filesystem::path spec_file;  // where the spec was: its relative paths start there
  jobspec::Overrides overrides;     // the record's changes, then `now`'s
};

// Reads `record_file` (or DIR/dlrun-run.json). The image is pinned by the registry digest it was
// pulled by, or, for an image built or imported on the engine, by its id (the spec's "build"
// is then not made again: the record's image is what ran).
Result<RecordedJob> load_recorded_job(const std::filesystem::path& record_file,
                                      const jobspec::Overrides& now, const EnvLookup& env);

}  // namespace dlrun::run
