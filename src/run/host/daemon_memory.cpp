#include "dlrun/run/host/daemon_memory.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

namespace dlrun::run {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr auto kTrustedFor = std::chrono::hours(24 * 7);
// The latest time the clock holds (in 2262, counting nanoseconds).
constexpr auto kLatest = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max());

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
      const json& learned = entry.at("learned");
      if (!learned.is_number_integer() || learned.get<std::int64_t>() < 0 ||
          learned.get<std::int64_t>() > kLatest.count()) {
        memory.records_.clear();  // as for any other field it cannot read
        return memory;
      }
      record.learned = Clock::time_point(std::chrono::seconds(learned.get<std::int64_t>()));
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
  if (records_.erase(address) > 0) save();
}

void DaemonMemory::save() const {
  if (!file_) return;
  json daemons = json::object();
  for (const auto& [address, record] : records_) {
    daemons[address] = {{"server", record.server},
                        {"refused", record.refused},
                        {"learned", std::chrono::duration_cast<std::chrono::seconds>(
                                        record.learned.time_since_epoch())
                                        .count()}};
  }
  // Losing the cache costs a retry later; it is never worth failing a job over.
  (void)write_file_atomically(*file_, json{{"daemons", daemons}}.dump(2) + "\n");
}

std::string format_day(Clock::time_point when) {
  const std::time_t time = Clock::to_time_t(when);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &parts);
  return text;
}

}  // namespace dlrun::run
