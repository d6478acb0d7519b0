#pragma once

#include <expected>
#include <string>
#include <vector>

#include "dlrun/exit_codes.hpp"

namespace dlrun {

// What went wrong, coarsely: each kind maps to one documented exit code (docs/exit-codes.md).
enum class ErrorKind {
  usage,   // bad command line
  spec,    // the job spec is unreadable or invalid
  engine,  // the daemon answered with an error we do not classify further
  engine_unreachable,
  engine_permission,
  engine_too_old,
  image_not_found,
  gpu_unavailable,  // the NVIDIA hook failed, or the driver cannot run the image
  no_gpu_driver,    // the daemon has no NVIDIA device driver (no Container Toolkit)
  setting_refused,  // the daemon refused a container setting: a ulimit (memlock without
                    // CAP_SYS_RESOURCE), the init process (no docker-init)
  mount,            // a mount source that cannot or must not be used
  build_failed,     // a step of the job's image build failed (a package that does not exist)
  io,               // local files (outputs dir, spec file)
  slurm,            // Slurm's commands failed or are missing (sbatch refused the job)
  interrupted,      // SIGINT before the job started (during a pull, say)
  terminated,       // SIGTERM likewise
  hung_up,          // SIGHUP likewise
  internal,
};

// A failure the user can act on: `message` says what went wrong, `hint` what to do about it.
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  std::string hint;
  // Which setting was refused, where the kind says one was ("memlock" for setting_refused).
  std::string subject = {};
  // The separate mistakes an error sums up, where it sums up several (every problem of a spec,
  // located by its field path), for output a program reads.
  struct Detail {
    std::string path;
    std::string message;
    std::string hint;
  };
  std::vector<Detail> details = {};
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
  return std::unexpected(Error{kind, std::move(message), std::move(hint)});
}

int exit_code_for(ErrorKind kind);

}  // namespace dlrun
