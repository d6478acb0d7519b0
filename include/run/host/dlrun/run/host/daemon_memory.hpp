#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dlrun/run/host/engine_profile.hpp"
#include "dlrun/user_files.hpp"

// What dlrun has learned about the daemons it ran jobs on, so that a refused default costs one
// extra create once, not on every run, and what an engine is (its profile) costs two requests
// once. A cache: losing it costs one retry; an entry is trusted for a week and only for the
// daemon version it was learned from, so a fixed or upgraded daemon is asked again.
namespace dlrun::run {

struct DaemonRecord {
  std::string server;                // the daemon's Server header when it refused
  std::vector<std::string> refused;  // dlrun defaults it refused: "memlock", "stack"
  std::chrono::system_clock::time_point learned;
  std::optional<EngineProfile> profile;  // what the engine is and can do
  std::chrono::system_clock::time_point profile_learned;
};

class DaemonMemory {
 public:
  // $XDG_CACHE_HOME/dlrun/daemons.json, else ~/.cache/dlrun/daemons.json. A missing or broken
  // file is an empty memory.
  static DaemonMemory load(const EnvLookup& env);

  // What the daemon at `address` refused, if that is still worth believing: learned within a
  // week, by the same daemon version (`server`; empty matches any, for a dry run).
  std::optional<DaemonRecord> recall(const std::string& address, const std::string& server) const;
  // Adds `setting` to what the daemon refuses, and saves.
  void remember_refusal(const std::string& address, const std::string& server,
                        const std::string& setting);
  // The daemon accepts every default now (dlrun doctor probed it): forget its refusals, and save.
  void forget(const std::string& address);
  // The engine's profile, when learned within a week from the same daemon version (`server`).
  std::optional<EngineProfile> profile(const std::string& address, const std::string& server) const;
  void remember_profile(const std::string& address, const std::string& server,
                        const EngineProfile& profile);

 private:
  void save() const;

  std::optional<std::filesystem::path> file_;
  std::map<std::string, DaemonRecord> records_;
};

// "2026-11-30", for saying when a refusal was found out.
std::string format_day(std::chrono::system_clock::time_point when);

}  // namespace dlrun::run
