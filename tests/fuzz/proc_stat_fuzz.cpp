// Whether a job's dlrun still runs, as `dlrun clean` and every `train` decide it: the owner
// label on its container ("<host>:<boot id>:<pid>:<start time>", from the engine) against
// /proc/<pid>/stat and the boot id. The input is three texts ("\n%%\n" between): the stat
// file, the label's start time (or, starting with '@', a whole label of its own), the boot id.
#include <unistd.h>

#include "dlrun/run/job/orphans.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const auto parts = fuzz::split_input(fuzz::as_text(data, size), 3);
  static const std::filesystem::path proc = fuzz::scratch_dir() / "proc";
  static const std::string host = [] {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return std::string(name);
  }();
  fuzz::write_file(proc / "4242" / "stat", parts[0]);
  fuzz::write_file(proc / "self" / "stat", parts[0]);
  fuzz::write_file(proc / "sys/kernel/random/boot_id", parts[2]);

  const std::string_view start = parts[1];
  const std::string owner =
      start.starts_with('@') ? std::string(start.substr(1))
                             : host + ":" + std::string(parts[2]) + ":4242:" + std::string(start);
  (void)owner_state(owner, proc);
  (void)owner_of_this_process(proc);
  return 0;
}
