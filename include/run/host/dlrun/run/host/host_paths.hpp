#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "dlrun/engine/endpoint.hpp"
#include "dlrun/error.hpp"
#include "dlrun/jobspec/job_spec.hpp"

// The checks and changes a spec needs on the host's filesystem before a container is made.
namespace dlrun::run {

enum class UnsafeMounts { refuse, allow };

// Bind sources and outputs are paths on the daemon's host, which is this one only when the
// daemon is reached through a local Unix socket.
struct DaemonHost {
  bool local = true;
  std::string docker_socket;  // its socket, on its host: mounting it is refused
};
DaemonHost daemon_host(const engine::Endpoint& endpoint);

// Every bind source must exist (checked where the daemon is local), and none may expose the
// host system or the daemon's socket unless `unsafe` allows it.
Result<void> check_bind_sources(const jobspec::JobSpec& spec, UnsafeMounts unsafe,
                                const DaemonHost& daemon);

// The outputs directory, created (owned by the invoking user) when missing. Until `keep()` is
// called, a directory this created is removed again if it is still empty: a run that never
// started leaves nothing behind.
class OutputsDirectory {
 public:
  static Result<OutputsDirectory> prepare(const std::filesystem::path& path);
  OutputsDirectory(OutputsDirectory&& other) noexcept;
  OutputsDirectory& operator=(OutputsDirectory&&) = delete;
  ~OutputsDirectory();
  void keep() { created_.reset(); }

 private:
  explicit OutputsDirectory(std::optional<std::filesystem::path> created)
      : created_(std::move(created)) {}
  std::optional<std::filesystem::path> created_;
};

}  // namespace dlrun::run
