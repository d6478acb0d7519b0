#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlrun::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N, as a shell reports it
  std::string out;     // empty when stdout was hashed instead
  std::string err;
  std::string out_sha256;  // hex, when hashing
  std::size_t out_bytes = 0;
  std::chrono::milliseconds elapsed{0};
};

struct Invocation {
  std::vector<std::string> args;           // argv[0] included
  std::map<std::string, std::string> env;  // set on top of the test's own environment
  std::vector<std::string> unset_env;
  std::optional<uid_t> uid;  // run as this uid (and gid) instead of ours
  bool hash_stdout = false;  // keep a checksum, not the bytes (large outputs)
  // Called with the process id and the output so far whenever new output arrives.
  std::function<void(pid_t, const std::string& out, const std::string& err)> on_output;
  std::chrono::seconds limit{180};  // killed past this: a hung test fails, not hangs
};

ProcessResult run_process(const Invocation& invocation);

}  // namespace dlrun::testing
