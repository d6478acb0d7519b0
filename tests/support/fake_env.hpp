#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "dlrun/user_files.hpp"

namespace dlrun::testing {

// An environment of a test's own, handed to the code under test instead of setenv, so that a
// failing check cannot leave a variable behind for the next test.
struct FakeEnv {
  std::map<std::string, std::string> vars;

  EnvLookup lookup() const {
    return [vars = vars](std::string_view name) -> std::optional<std::string> {
      const auto found = vars.find(std::string(name));
      if (found == vars.end()) return std::nullopt;
      return found->second;
    };
  }
};

// For what only the process environment can carry (a test double's switch, PATH for a spawned
// helper): set for the scope, restored however the scope is left.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace dlrun::testing
