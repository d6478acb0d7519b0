#include "dlrun/run/host/daemon_memory.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr auto kTrustedFor = std::chrono::hours(24 * 7);
// The latest time the clock holds (in 2262, counting nanoseconds).
constexpr auto kLatest = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max());

// Seconds since the epoch as dlrun writes them; anything else (a number the clock cannot hold)
// is unreadable.
std::optional<Clock::time_point> time_of(const json& seconds) {
  if (!seconds.is_number_integer() || seconds.get<std::int64_t>() < 0 ||
      seconds.get<std::int64_t>() > kLatest.count()) {
    return std::nullopt;
  }
  return Clock::time_point(std::chrono::seconds(seconds.get<std::int64_t>()));
}

std::int64_t seconds_of(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

json profile_json(const EngineProfile& profile, Clock::time_point learned) {
  return {{"product", profile.product == EngineProduct::podman ? "podman" : "docker"},
          {"version", profile.version},
          {"api_version", profile.api_version},
          {"architecture", profile.architecture},
          {"rootless", profile.rootless},
          {"cgroup_driver", profile.cgroup_driver},
          {"cgroup_version", profile.cgroup_version},
          {"log_drivers", profile.log_drivers},
          {"init_binary", profile.init_binary},
          {"cdi_spec_dirs", profile.cdi_spec_dirs},
          {"nvidia_runtime", profile.nvidia_runtime},
          {"learned", seconds_of(learned)}};
}

// A profile as profile_json wrote it; nullopt for anything else (json throws on a wrong type).
std::optional<EngineProfile> profile_from(const json& entry, Clock::time_point& learned) {
  const auto when = time_of(entry.at("learned"));
  if (!when) return std::nullopt;
  learned = *when;
  EngineProfile profile;
  profile.product = entry.at("product").get<std::string>() == "podman" ? EngineProduct::podman
                                                                       : EngineProduct::docker;
  profile.version = entry.at("version").get<std::string>();
  profile.api_version = entry.at("api_version").get<std::string>();
  profile.architecture = entry.at("architecture").get<std::string>();
  profile.rootless = entry.at("rootless").get<bool>();
  profile.cgroup_driver = entry.at("cgroup_driver").get<std::string>();
  profile.cgroup_version = entry.at("cgroup_version").get<std::string>();
  profile.log_drivers = entry.at("log_drivers").get<std::vector<std::string>>();
  profile.init_binary = entry.at("init_binary").get<std::string>();
  profile.cdi_spec_dirs = entry.at("cdi_spec_dirs").get<std::vector<std::string>>();
  profile.nvidia_runtime = entry.at("nvidia_runtime").get<bool>();
  return profile;
}

}  // namespace

DaemonMemory DaemonMemory::load(const EnvLookup& env) {
  DaemonMemory memory;
  memory.file_ = find_cache_file("daemons.json", env);
  if (!memory.file_) return memory;
  std::ifstream in(*memory.file_);
  if (!in) return memory;
  try {
    const json document = json::parse(in);
    for (const auto& [address, entry] : document.at("daemons").items()) {
      DaemonRecord record;
      record.server = entry.at("server").get<std::string>();
      record.refused = entry.at("refused").get<std::vector<std::string>>();
      // dlrun writes whole seconds the clock can hold; another number would overflow it.
      const auto learned = time_of(entry.at("learned"));
      if (!learned) {
        memory.records_.clear();  // as for any other field it cannot read
        return memory;
      }
      record.learned = *learned;
      if (const auto profile = entry.find("profile"); profile != entry.end()) {
        try {
          record.profile = profile_from(*profile, record.profile_learned);
        } catch (const json::exception&) {
          record.profile.reset();  // an unreadable profile is asked for again
        }
      }
      memory.records_[address] = std::move(record);
    }
  } catch (const json::exception&) {
    memory.records_.clear();  // a cache that cannot be read is an empty one
  }
  return memory;
}

std::optional<DaemonRecord> DaemonMemory::recall(const std::string& address,
                                                 const std::string& server) const {
  const auto found = records_.find(address);
  if (found == records_.end()) return std::nullopt;
  const DaemonRecord& record = found->second;
  if (Clock::now() - record.learned > kTrustedFor) return std::nullopt;
  if (!server.empty() && record.server != server) return std::nullopt;
  return record;
}

void DaemonMemory::remember_refusal(const std::string& address, const std::string& server,
                                    const std::string& setting) {
  DaemonRecord& record = records_[address];
  if (record.server != server) record.refused.clear();
  record.server = server;
  if (std::find(record.refused.begin(), record.refused.end(), setting) == record.refused.end())
    record.refused.push_back(setting);
  record.learned = Clock::now();
  save();
}

void DaemonMemory::forget(const std::string& address) {
  const auto found = records_.find(address);
  if (found == records_.end() || found->second.refused.empty()) return;
  found->second.refused.clear();
  save();
}

std::optional<EngineProfile> DaemonMemory::profile(const std::string& address,
                                                   const std::string& server) const {
  const auto found = records_.find(address);
  if (found == records_.end() || !found->second.profile) return std::nullopt;
  const DaemonRecord& record = found->second;
  if (record.server != server || Clock::now() - record.profile_learned > kTrustedFor)
    return std::nullopt;
  return record.profile;
}

void DaemonMemory::remember_profile(const std::string& address, const std::string& server,
                                    const EngineProfile& profile) {
  DaemonRecord& record = records_[address];
  if (record.server != server) {
    record.refused.clear();  // what another version refused says nothing of this one
    record.learned = Clock::now();
  }
  record.server = server;
  record.profile = profile;
  record.profile_learned = Clock::now();
  save();
}

void DaemonMemory::save() const {
  if (!file_) return;
  json daemons = json::object();
  for (const auto& [address, record] : records_) {
    daemons[address] = {{"server", record.server},
                        {"refused", record.refused},
                        {"learned", seconds_of(record.learned)}};
    if (record.profile)
      daemons[address]["profile"] = profile_json(*record.profile, record.profile_learned);
  }
  // Losing the cache costs a retry later; it is never worth failing a job over.
  (void)write_file_atomically(*file_, json{{"daemons", daemons}}.dump(2) + "\n");
}

std::string format_day(Clock::time_point when) {
  return utc_text(Clock::to_time_t(when), UtcForm::day);
}

}  // namespace dlrun::run
