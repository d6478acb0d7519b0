#include "dlrun/run/host/host_paths.hpp"

#include <array>
#include <vector>

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;

// Host directories whose exposure hands the job the host: config, kernel interfaces, devices,
// boot files, runtime sockets (the Docker socket is root on the host).
constexpr std::array<std::string_view, 8> kProtected{
    "/etc", "/proc", "/sys", "/dev", "/boot", "/var/run", "/run", "/var/lib/docker"};

bool is_within(const fs::path& path, const fs::path& directory) {
  auto p = path.begin();
  for (auto d = directory.begin(); d != directory.end(); ++d, ++p) {
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

std::optional<std::string> unsafe_reason(const fs::path& source,
                                         const std::optional<std::string>& docker_socket) {
  if (source == "/") return "/ is the host's root filesystem";
  // As written and as resolved here: a remote daemon's paths can only be read as written, and
  // /var/run is /run on most hosts.
  const auto forms = [](const fs::path& path) {
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(path, ec);
    return ec || resolved == path ? std::vector<fs::path>{path}
                                  : std::vector<fs::path>{path, resolved};
  };
  if (docker_socket) {
    for (const auto& socket : forms(*docker_socket)) {
      if (source == socket || is_within(socket, source)) {
        return source.string() + " exposes the Docker socket, which gives the job root on the host";
      }
    }
  }
  for (const auto protected_dir : kProtected) {
    for (const auto& directory : forms(fs::path(protected_dir))) {
      if (is_within(source, directory) || is_within(directory, source)) {
        return source.string() + " is or contains the host system directory " + directory.string();
      }
    }
  }
  return std::nullopt;
}

}  // namespace

DaemonHost daemon_host(const engine::Endpoint& endpoint) {
  switch (endpoint.kind) {
    case engine::EndpointKind::unix_socket:
      return {true, endpoint.socket_path};
    case engine::EndpointKind::ssh:
      return {false,
              endpoint.ssh.socket_path.empty() ? "/var/run/docker.sock" : endpoint.ssh.socket_path};
    case engine::EndpointKind::tcp:
      return {false, "/var/run/docker.sock"};
  }
  return {};
}

Result<void> check_bind_sources(const jobspec::JobSpec& spec, UnsafeMounts unsafe,
                                const DaemonHost& daemon) {
  const std::optional<std::string> docker_socket =
      daemon.docker_socket.empty() ? std::nullopt : std::optional(daemon.docker_socket);
  for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& mount = spec.mounts[i];
    if (mount.kind != jobspec::MountKind::bind) continue;
    const std::string field = "mounts[" + std::to_string(i) + "].source";
    if (!daemon.local) {
      // Another machine's path: it cannot be looked at from here, only read as written.
      const fs::path remote = fs::path(mount.source).lexically_normal();
      if (unsafe == UnsafeMounts::refuse) {
        if (auto reason = unsafe_reason(remote, docker_socket)) {
          return fail(ErrorKind::mount,
                      field + ": refusing to mount " + remote.string() + ": " + *reason,
                      "mount only the data the job needs; if you really mean it, pass "
                      "--allow-unsafe-mounts");
        }
      }
      continue;
    }
    std::error_code ec;
    if (!fs::exists(mount.source, ec)) {
      return fail(ErrorKind::mount, field + ": " + mount.source + " does not exist",
                  "create it or fix the path (relative paths are resolved against the spec file's "
                  "directory); dlrun never creates mount sources, so a typo cannot become an empty "
                  "root-owned directory");
    }
    const fs::path real = fs::canonical(mount.source, ec);
    if (ec) {
      return fail(ErrorKind::mount,
                  field + ": cannot resolve " + mount.source + ": " + ec.message(),
                  "check the path's permissions");
    }
    if (unsafe == UnsafeMounts::refuse) {
      if (auto reason = unsafe_reason(real, docker_socket)) {
        return fail(
            ErrorKind::mount, field + ": refusing to mount " + real.string() + ": " + *reason,
            "mount only the data the job needs; if you really mean it, pass --allow-unsafe-mounts");
      }
    }
  }
  return {};
}

Result<OutputsDirectory> OutputsDirectory::prepare(const std::filesystem::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec)) {
      return fail(ErrorKind::io, "outputs: " + path.string() + " exists and is not a directory",
                  "point \"outputs\" at a directory, or move the file away");
    }
    return OutputsDirectory(std::nullopt);
  }
  // Find the topmost directory we create, so an unused run removes all of it.
  fs::path first_created = path;
  while (first_created.has_parent_path() && first_created.parent_path() != first_created &&
         !fs::exists(first_created.parent_path(), ec)) {
    first_created = first_created.parent_path();
  }
  fs::create_directories(path, ec);
  if (ec) {
    return fail(ErrorKind::io, "outputs: cannot create " + path.string() + ": " + ec.message(),
                "create it yourself, or choose a directory you can write to");
  }
  return OutputsDirectory(first_created);
}

OutputsDirectory::OutputsDirectory(OutputsDirectory&& other) noexcept
    : created_(std::move(other.created_)) {
  other.created_.reset();
}

OutputsDirectory::~OutputsDirectory() {
  if (!created_) return;
  std::error_code ec;
  // Only empty directories go: remove() refuses a non-empty one, and we walk up no further.
  for (auto it = fs::recursive_directory_iterator(*created_, ec);
       !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) return;
  }
  fs::remove_all(*created_, ec);
}

}  // namespace dlrun::run
