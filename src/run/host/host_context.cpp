#include "dlrun/run/host/host_context.hpp"

#include <pwd.h>
#include <unistd.h>

#include <random>

#include "dlrun/process_owner.hpp"

namespace dlrun::run {

std::string random_suffix() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string suffix;
  for (int i = 0; i < 6; ++i) suffix += "0123456789abcdef"[digit(device)];
  return suffix;
}

HostContext current_host(std::string spec_digest, EnvLookup env) {
  HostContext host;
  host.uid = getuid();
  host.gid = getgid();
  if (const passwd* entry = getpwuid(host.uid); entry != nullptr && entry->pw_name != nullptr) {
    host.user_name = entry->pw_name;
  } else if (auto user = env("USER")) {
    host.user_name = *user;
  }
  host.lookup_env = std::move(env);
  host.spec_digest = std::move(spec_digest);
  host.run_suffix = random_suffix();
  host.owner = owner_of_this_process();
  return host;
}

}  // namespace dlrun::run
