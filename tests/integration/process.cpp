#include "process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <stdexcept>

extern char** environ;

namespace dlrun::testing {
namespace {

std::string hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

// The environment `invocation` asks for: the test's own, less what it unsets or replaces, plus
// what it sets.
std::vector<std::string> child_environment(const Invocation& invocation) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string key(text.substr(0, text.find('=')));
    if (invocation.env.contains(key) ||
        std::ranges::find(invocation.unset_env, key) != invocation.unset_env.end())
      continue;
    entries.emplace_back(text);
  }
  for (const auto& [key, value] : invocation.env) entries.push_back(key + "=" + value);
  return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

ProcessResult run_process(const Invocation& invocation) {
  // Everything the child needs is made before fork: the tests fork from many threads at once,
  // and a child that allocates can block forever on a lock another thread held at the fork
  // (ASan's allocator does not make its locks safe across fork).
  std::vector<std::string> args = invocation.args;
  std::vector<std::string> environment = child_environment(invocation);
  const std::vector<char*> argv = pointers_to(args);
  const std::vector<char*> envp = pointers_to(environment);
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    // The child must not inherit a blocked signal mask from the test runner.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (invocation.uid) {
      if (setgroups(0, nullptr) != 0 || setgid(*invocation.uid) != 0 ||
          setuid(*invocation.uid) != 0)
        _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  ProcessResult result;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(hash.get(), EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buffer{};
  bool out_open = true;
  bool err_open = true;
  bool killed_for_time = false;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    const int ready = poll(fds, 2, 200);
    if (std::chrono::steady_clock::now() - started > invocation.limit && !killed_for_time) {
      kill(pid, SIGKILL);
      killed_for_time = true;
    }
    if (ready <= 0) continue;
    bool new_output = false;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      new_output = true;
      const auto bytes = static_cast<std::size_t>(n);
      if (i == 1) {
        result.err.append(buffer.data(), bytes);
      } else if (invocation.hash_stdout) {
        EVP_DigestUpdate(hash.get(), buffer.data(), bytes);
        result.out_bytes += bytes;
      } else {
        result.out.append(buffer.data(), bytes);
        result.out_bytes += bytes;
      }
    }
    if (new_output && invocation.on_output) invocation.on_output(pid, result.out, result.err);
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (invocation.hash_stdout) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(hash.get(), digest.data(), &length);
    result.out_sha256 = hex(digest.data(), length);
  }
  if (killed_for_time) result.err += "\n[test harness: killed after the time limit]\n";
  return result;
}

}  // namespace dlrun::testing
