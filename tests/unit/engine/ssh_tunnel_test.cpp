#include "dlrun/engine/ssh_tunnel.hpp"

#include <catch2/catch.hpp>

namespace dlrun::engine {

TEST_CASE("dlrun starts an ssh master only where the user's config multiplexes not",
          "[engine][ssh]") {
  // `ssh -G host` of a config without multiplexing, as OpenSSH 9 prints it (an excerpt).
  CHECK_FALSE(multiplexes_already(
      "user root\nhostname 127.0.0.1\nport 22\ncontrolmaster false\ncontrolpersist no\n"
      "controlpath none\nbatchmode yes\n"));
  CHECK(multiplexes_already("controlmaster auto\ncontrolpath ~/.ssh/cm-%r@%h:%p\n"));
  CHECK(multiplexes_already("controlmaster false\ncontrolpath /run/user/1000/ssh-%C\n"));
  CHECK(multiplexes_already("controlmaster true\ncontrolpath none\n"));
  CHECK_FALSE(multiplexes_already(""));

  // Its connections name the master's socket; without one, they are as the CLI's.
  SshTarget target{.host = "gpu-vm", .user = "alice", .port = "2222"};
  CHECK(ssh_command(target) == std::vector<std::string>{"ssh", "-l", "alice", "-p", "2222", "-o",
                                                        "ConnectTimeout=30", "-T", "--", "gpu-vm",
                                                        "docker", "system", "dial-stdio"});
  target.control_path = "/run/user/1000/dlrun-ssh-x/%C";
  CHECK(ssh_command(target) ==
        std::vector<std::string>{"ssh", "-l", "alice", "-p", "2222", "-o", "ControlMaster=auto",
                                 "-o", "ControlPath=/run/user/1000/dlrun-ssh-x/%C", "-o",
                                 "ControlPersist=60", "-o", "ConnectTimeout=30", "-T", "--",
                                 "gpu-vm", "docker", "system", "dial-stdio"});
}

}  // namespace dlrun::engine
