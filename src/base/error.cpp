#include "dlrun/error.hpp"

namespace dlrun {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::spec:
    case ErrorKind::mount:  // a mount the spec names but cannot or must not have
      return exit_code::usage;
    case ErrorKind::engine:
    case ErrorKind::engine_unreachable:
    case ErrorKind::engine_permission:
    case ErrorKind::engine_too_old:
    case ErrorKind::image_not_found:
    case ErrorKind::gpu_unavailable:
    case ErrorKind::no_gpu_driver:
    case ErrorKind::setting_refused:
    case ErrorKind::io:
    case ErrorKind::slurm:
    case ErrorKind::internal:
      return exit_code::dlrun_failure;
    case ErrorKind::build_failed:
      return exit_code::build_failed;
    case ErrorKind::interrupted:
      return exit_code::interrupted;
    case ErrorKind::terminated:
      return exit_code::terminated;
    case ErrorKind::hung_up:
      return exit_code::hung_up;
  }
  return exit_code::dlrun_failure;
}

}  // namespace dlrun
