#pragma once

#include <cstdint>
#include <string>

#include "dlrun/user_files.hpp"

// Who runs a job on this host, and what names its containers.
namespace dlrun::run {

struct HostContext {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string user_name;
  // Reads the host environment (injectable so tests need not touch the real one).
  EnvLookup lookup_env;
  std::string spec_digest;  // "sha256:…" of the spec file
  std::string run_suffix;   // makes container names unique across concurrent runs
  std::string owner;        // this dlrun process (run/orphans.hpp); empty: no owner label
};

// Reads the real process: uid, gid, user name, environment, owner, and a random run suffix.
HostContext current_host(std::string spec_digest, EnvLookup env = process_environment());

// Six random hex digits: what keeps the names of one job's containers apart.
std::string random_suffix();

}  // namespace dlrun::run
