// The one file that knows how a spec is written in JSON.
#include "dlrun/jobspec/parse.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "dlrun/jobspec/capabilities.hpp"
#include "dlrun/jobspec/fields.hpp"
#include "dlrun/jobspec/schema.hpp"
#include "dlrun/jobspec/suggest.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/sha256.hpp"

namespace dlrun::jobspec {
namespace {

using nlohmann::json;

std::string describe_value(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number " + value.dump();
    case json::value_t::string: {
      std::string text = value.dump();
      if (text.size() > 40) {
        // Cut between characters, not inside one: problems are printed as JSON too.
        std::size_t cut = 37;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text.resize(cut);
        text += "...\"";
      }
      return "string " + text;
    }
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "a " + std::string(value.type_name());
  }
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}
std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

bool is_absolute_container_path(std::string_view path) {
  return !path.empty() && path.front() == '/';
}

class SpecReader {
 public:
  SpecReader(const std::filesystem::path& base_dir, const EnvLookup& env)
      : base_dir_(base_dir), env_(env) {}

  void problem(std::string path, std::string message, std::string hint = {}) {
    problems_.push_back({std::move(path), std::move(message), std::move(hint)});
  }
  SpecProblems take_problems() { return std::move(problems_); }
  bool ok() const { return problems_.empty(); }

  // Reports `problem`, if any, at `path`; true when there was none.
  bool check(const std::string& path, const FieldCheck& found) {
    if (found) problem(path, found->message, found->hint);
    return !found;
  }

  void wrong_type(const std::string& path, std::string_view expected, const json& got,
                  std::string hint = {}) {
    problem(path, "expected " + std::string(expected) + ", got " + describe_value(got),
            std::move(hint));
  }

  // Every key of `object` must be known; an unknown one is reported with what it probably meant.
  void reject_unknown_keys(const json& object, const std::string& path,
                           std::span<const std::string_view> known) {
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const auto suggestion = closest_match(key, known);
      problem(join_path(path, key), "unknown field",
              suggestion ? "did you mean " + in_quotes(*suggestion) + "?"
                         : "known fields here: " + join_names(known));
    }
  }

  std::optional<std::string> string_value(const json& value, const std::string& path,
                                          std::string hint = {}) {
    if (!value.is_string()) {
      wrong_type(path, "a string", value, std::move(hint));
      return std::nullopt;
    }
    if (!check(path, check_text(value.get_ref<const std::string&>()))) return std::nullopt;
    return value.get<std::string>();
  }

  std::optional<bool> bool_value(const json& value, const std::string& path) {
    if (!value.is_boolean()) {
      wrong_type(path, "true or false", value);
      return std::nullopt;
    }
    return value.get<bool>();
  }

  std::optional<std::int64_t> size_value(const json& value, const std::string& path) {
    if (value.is_number_integer() && value.get<std::int64_t>() > 0)
      return value.get<std::int64_t>();
    if (value.is_string()) {
      if (auto bytes = parse_size(value.get<std::string>())) return bytes;
    }
    problem(path, describe_value(value) + " is not a size",
            "write a positive size with a binary unit, e.g. \"16g\", \"512m\", or a byte count");
    return std::nullopt;
  }

  std::filesystem::path host_path(std::string_view written) const {
    std::filesystem::path path{std::string(written)};
    if (written == "~" || written.starts_with("~/")) {
      const auto home = env_("HOME");
      path = std::filesystem::path(home.value_or("/")) /
             std::string(written.substr(written.size() > 1 ? 2 : 1));
    } else if (path.is_relative()) {
      path = base_dir_ / path;
    }
    return path.lexically_normal();
  }

 private:
  std::filesystem::path base_dir_;
  const EnvLookup& env_;
  SpecProblems problems_;
};

// The index of `value` among the words the schema allows for `field`; anything else is reported
// as an unknown `what`, with the words (and what each means, where `meanings` says) as the hint.
std::optional<std::size_t> read_one_of(SpecReader& reader, const json& value,
                                       const std::string& path, SpecWords field,
                                       std::string_view what,
                                       std::span<const std::string_view> meanings = {}) {
  auto text = reader.string_value(value, path);
  if (!text) return std::nullopt;
  const auto names = spec_words(field);
  const auto found = std::find(names.begin(), names.end(), *text);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  const auto suggestion = closest_match(*text, names);
  std::string words;
  for (std::size_t i = 0; i < names.size() && meanings.size() == names.size(); ++i) {
    words += (i == 0                  ? ""
              : i + 1 == names.size() ? " or "
                                      : ", ") +
             in_quotes(names[i]) + " (" + std::string(meanings[i]) + ")";
  }
  reader.problem(path, "unknown " + std::string(what) + " " + in_quotes(*text),
                 (suggestion ? "did you mean " + in_quotes(*suggestion) + "? " : std::string{}) +
                     "use " + (words.empty() ? "one of: " + join_names(names) : words));
  return std::nullopt;
}

void read_command(SpecReader& reader, const json& value, JobSpec& spec) {
  if (value.is_string()) {
    if (value.get<std::string>().empty()) {
      reader.problem("command", "the command is empty",
                     "give a shell command, e.g. \"python train.py\", or leave the field out to "
                     "run the image's CMD");
      return;
    }
    if (!reader.check("command", check_text(value.get_ref<const std::string&>()))) return;
    spec.command = CommandShell{value.get<std::string>()};
    return;
  }
  if (!value.is_array()) {
    reader.wrong_type("command", "an array of strings or a shell command string", value,
                      "e.g. [\"python\", \"train.py\"] or \"python train.py --epochs 3\"");
    return;
  }
  if (value.empty()) {
    reader.problem("command", "the command is empty",
                   "give the program and its arguments, e.g. [\"python\", \"train.py\"], or leave "
                   "the field out to run the image's CMD");
    return;
  }
  CommandArgv command;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (auto arg = reader.string_value(value[i], index_path("command", i),
                                       "quote every argument, numbers too: \"3\"")) {
      command.argv.push_back(*arg);
    }
  }
  spec.command = std::move(command);
}

bool is_env_name(std::string_view name) {
  static const std::regex kPattern("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name.begin(), name.end(), kPattern);
}

void read_env(SpecReader& reader, const json& value, JobSpec& spec,
              const std::string& field = "env") {
  if (!value.is_object()) {
    reader.wrong_type(field, "an object of NAME: value pairs", value,
                      "e.g. {\"EPOCHS\": \"3\", \"HF_TOKEN\": {\"from_env\": \"HF_TOKEN\"}}");
    return;
  }
  for (const auto& [name, entry] : value.items()) {
    const std::string path = join_path(field, name);
    if (!reader.check(path, check_env_name(name))) continue;
    if (entry.is_string()) {
      if (!reader.check(path, check_text(entry.get_ref<const std::string&>()))) continue;
      spec.env.push_back({name, LiteralValue{entry.get<std::string>()}});
    } else if (entry.is_object()) {
      const bool misspelled = entry.size() > (entry.contains("from_env") ? 1U : 0U);
      reader.reject_unknown_keys(entry, path, spec_fields(SpecObject::from_env));
      if (!entry.contains("from_env")) {
        if (misspelled) continue;  // the unknown key already says what to write
        reader.problem(
            join_path(path, "from_env"), "required field is missing",
            "name the host variable that holds the value, e.g. {\"from_env\": \"" + name + "\"}");
        continue;
      }
      if (auto host = reader.string_value(entry["from_env"], join_path(path, "from_env"))) {
        if (!is_env_name(*host)) {
          reader.problem(join_path(path, "from_env"), "invalid variable name " + in_quotes(*host),
                         "name a host environment variable, e.g. \"HF_TOKEN\"");
        } else {
          spec.env.push_back({name, FromHostEnv{*host}});
        }
      }
    } else {
      reader.wrong_type(path, "a string or {\"from_env\": \"HOST_VAR\"}", entry,
                        entry.is_number() || entry.is_boolean()
                            ? "quote the value: \"" + (entry.is_string() ? "" : entry.dump()) + "\""
                            : "write the value as a string");
    }
  }
}

bool is_volume_name(std::string_view name) {
  static const std::regex kPattern("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  return std::regex_match(name.begin(), name.end(), kPattern);
}

bool looks_like_host_path(std::string_view source) {
  return source.starts_with('/') || source.starts_with("./") || source.starts_with("../") ||
         source == "." || source == ".." || source == "~" || source.starts_with("~/");
}

void read_mounts(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_array()) {
    reader.wrong_type(
        "mounts", "an array of mounts", value,
        "e.g. [{\"source\": \"./data\", \"target\": \"/data\", \"read_only\": true}]");
    return;
  }
  std::set<std::string> targets;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = index_path("mounts", i);
    const json& entry = value[i];
    if (!entry.is_object()) {
      reader.wrong_type(
          path, "an object", entry,
          "e.g. {\"source\": \"./data\", \"target\": \"/data\", \"read_only\": true}");
      continue;
    }
    reader.reject_unknown_keys(entry, path, spec_fields(SpecObject::mount));
    Mount mount;
    std::optional<MountKind> declared_kind;
    if (entry.contains("type")) {
      static constexpr std::array<std::string_view, 2> kMeanings{"a host path",
                                                                 "a named Docker volume"};
      if (auto type = read_one_of(reader, entry["type"], join_path(path, "type"),
                                  SpecWords::mount_type, "mount type", kMeanings)) {
        declared_kind = static_cast<MountKind>(*type);
      }
    }
    if (!entry.contains("source")) {
      reader.problem(join_path(path, "source"), "required field is missing",
                     "name a host path (\"./data\", \"/datasets/imagenet\") or a volume name");
    } else if (auto source = reader.string_value(entry["source"], join_path(path, "source"))) {
      const bool host_path =
          declared_kind ? *declared_kind == MountKind::bind : looks_like_host_path(*source);
      if (source->empty()) {
        reader.problem(join_path(path, "source"), "the source is empty",
                       "name a host path (\"./data\", \"/datasets/imagenet\") or a volume name");
      } else if (host_path) {
        mount.kind = MountKind::bind;
        mount.source = reader.host_path(*source).string();
        reader.check(join_path(path, "source"), check_host_path(mount.source));
      } else if (is_volume_name(*source)) {
        mount.kind = MountKind::volume;
        mount.source = *source;
      } else {
        reader.problem(join_path(path, "source"),
                       in_quotes(*source) + " is neither a path nor a volume name",
                       "write host paths as absolute or starting with ./ (\"./" + *source +
                           "\"); volume names use letters, digits, '_', '.', '-'");
      }
    }
    if (!entry.contains("target")) {
      reader.problem(join_path(path, "target"), "required field is missing",
                     "give the absolute path in the container, e.g. \"/data\"");
    } else if (auto target = reader.string_value(entry["target"], join_path(path, "target"))) {
      if (!is_absolute_container_path(*target)) {
        reader.problem(join_path(path, "target"), in_quotes(*target) + " is not an absolute path",
                       "container paths start with /, e.g. \"/" + *target + "\"");
      } else if (*target == "/") {
        reader.problem(join_path(path, "target"), "cannot mount over the container's root",
                       "mount at a directory such as \"/data\"");
      } else {
        mount.target = std::filesystem::path(*target).lexically_normal().string();
        if (mount.target.size() > 1 && mount.target.back() == '/') mount.target.pop_back();
        if (!targets.insert(mount.target).second) {
          reader.problem(join_path(path, "target"),
                         in_quotes(mount.target) + " is already a mount target",
                         "give each mount its own target");
        }
      }
    }
    if (entry.contains("read_only")) {
      if (auto read_only = reader.bool_value(entry["read_only"], join_path(path, "read_only"))) {
        mount.read_only = *read_only;
      }
    }
    spec.mounts.push_back(std::move(mount));
  }
}

void read_gpus(SpecReader& reader, const json& value, JobSpec& spec) {
  const std::string hint =
      "use \"all\", a count such as 2, or a list of indexes/UUIDs such as [\"0\", \"2\"]";
  if (value.is_string()) {
    if (value.get<std::string>() == "all") {
      spec.gpus = GpuAll{};
    } else {
      reader.problem("gpus", describe_value(value) + " is not a GPU request", hint);
    }
  } else if (value.is_number_integer()) {
    const auto count = value.get<std::int64_t>();
    if (count < 0 || count > 1024) {
      reader.problem("gpus", describe_value(value) + " is not a GPU count", hint);
    } else if (count == 0) {
      spec.gpus = GpuNone{};
    } else {
      spec.gpus = GpuCount{static_cast<int>(count)};
    }
  } else if (value.is_array()) {
    if (value.empty()) {
      reader.problem("gpus", "the GPU list is empty",
                     "leave \"gpus\" out (or use 0) for a job without GPUs; " + hint);
      return;
    }
    GpuList list;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const json& id = value[i];
      std::string text;
      if (id.is_number_unsigned() || (id.is_number_integer() && id.get<std::int64_t>() >= 0)) {
        text = id.dump();
      } else if (id.is_string()) {
        text = id.get<std::string>();
      }
      if (!is_gpu_id(text)) {
        reader.problem(
            index_path("gpus", i), describe_value(id) + " is not a GPU index or UUID",
            "write an index such as \"0\" or a UUID such as \"GPU-5e3c…\" (see nvidia-smi -L)");
        continue;
      }
      list.ids.push_back(text);
    }
    spec.gpus = std::move(list);
  } else {
    reader.wrong_type("gpus", "\"all\", a count, or a list of GPU indexes/UUIDs", value, hint);
  }
}

void read_resources(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type(
        "resources", "an object", value,
        "e.g. {\"shm_size\": \"16g\", \"memory\": \"64g\", \"cpus\": 8, \"pids\": 4096}");
    return;
  }
  reader.reject_unknown_keys(value, "resources", spec_fields(SpecObject::resources));
  if (value.contains("shm_size")) {
    if (auto bytes = reader.size_value(value["shm_size"], "resources.shm_size"))
      spec.resources.shm_bytes = *bytes;
  }
  if (value.contains("memory")) {
    if (auto bytes = reader.size_value(value["memory"], "resources.memory")) {
      if (*bytes < (6 << 20)) {
        reader.problem(
            "resources.memory", format_size(*bytes) + " is below Docker's 6m minimum",
            "give the job at least \"6m\"; training jobs usually need gigabytes, e.g. \"32g\"");
      } else {
        spec.resources.memory_bytes = bytes;
      }
    }
  }
  if (value.contains("cpus")) {
    const json& cpus = value["cpus"];
    if (!cpus.is_number() || cpus.get<double>() <= 0 || cpus.get<double>() > 4096) {
      reader.problem("resources.cpus", describe_value(cpus) + " is not a CPU count",
                     "give a positive number of CPUs, fractions allowed, e.g. 8 or 0.5");
    } else {
      spec.resources.cpus = cpus.get<double>();
    }
  }
  if (value.contains("log_size")) {
    const json& log_size = value["log_size"];
    if (log_size.is_string() && log_size.get<std::string>() == "none") {
      spec.resources.log_bytes = 0;
    } else if (auto bytes = reader.size_value(log_size, "resources.log_size")) {
      if (*bytes < kMinLogBytes) {
        reader.problem("resources.log_size", format_size(*bytes) + " is below the 1m minimum",
                       "the engine keeps the newest part of the job's output up to this size; "
                       "give at least \"1m\", e.g. \"500m\" for a chatty job, or \"none\"");
      } else {
        spec.resources.log_bytes = *bytes;
      }
    }
  }
  if (value.contains("memlock")) {
    const json& memlock = value["memlock"];
    if (memlock.is_string() && memlock.get<std::string>() == "unlimited") {
      spec.resources.memlock_bytes = kUnlimited;
    } else if (auto bytes = reader.size_value(memlock, "resources.memlock")) {
      spec.resources.memlock_bytes = bytes;
    }
  }
  if (value.contains("pids")) {
    const json& pids = value["pids"];
    if (!pids.is_number_integer() || pids.get<std::int64_t>() < 16) {
      reader.problem(
          "resources.pids", describe_value(pids) + " is not a process limit",
          "give the most processes and threads the job may have, at least 16, e.g. 4096");
    } else {
      spec.resources.pids_limit = pids.get<std::int64_t>();
    }
  }
}

void read_user(SpecReader& reader, const json& value, JobSpec& spec) {
  const std::string hint =
      "use \"host\" (your uid:gid, the default), \"root\", or numeric \"uid:gid\" such as "
      "\"1000:1000\"";
  auto text = reader.string_value(value, "user", hint);
  if (!text) return;
  if (*text == "host") {
    spec.user = UserHost{};
    return;
  }
  if (*text == "root") {
    spec.user = UserRoot{};
    return;
  }
  static const std::regex kIds("([0-9]{1,10}):([0-9]{1,10})");
  std::smatch match;
  if (std::regex_match(*text, match, kIds)) {
    const auto uid = std::stoull(match[1].str());
    const auto gid = std::stoull(match[2].str());
    if (uid <= 0xFFFFFFFEULL && gid <= 0xFFFFFFFEULL) {
      spec.user = UserIds{static_cast<std::uint32_t>(uid), static_cast<std::uint32_t>(gid)};
      return;
    }
  }
  reader.problem("user", describe_value(value) + " is not a user", hint);
}

void read_network(SpecReader& reader, const json& value, JobSpec& spec) {
  // In the order of NetworkMode.
  if (auto mode = read_one_of(reader, value, "network", SpecWords::network, "network mode")) {
    spec.network = static_cast<NetworkMode>(*mode);
  }
}

void read_gpu_path(SpecReader& reader, const json& value, JobSpec& spec) {
  // In the order of GpuPath.
  static constexpr std::string_view kMeanings[] = {
      "CDI where the engine has it and the host's CDI spec lists the GPUs, else NVIDIA's hook",
      "CDI devices, nvidia.com/gpu=…", "NVIDIA's hook, as docker run --gpus"};
  if (auto path =
          read_one_of(reader, value, "gpu_path", SpecWords::gpu_path, "GPU path", kMeanings)) {
    spec.gpu_path = static_cast<GpuPath>(*path);
  }
}

// A duration as "timeout" takes it: seconds, or "1h30m".
std::optional<std::chrono::seconds> read_duration_value(SpecReader& reader, const json& value,
                                                        const std::string& path) {
  if (value.is_number_integer() && value.get<std::int64_t>() > 0)
    return std::chrono::seconds(value.get<std::int64_t>());
  if (value.is_string()) {
    auto text = reader.string_value(value, path);
    if (!text) return std::nullopt;
    auto duration = read_duration(*text);
    if (duration) return *duration;
    reader.problem(path, duration.error().message, duration.error().hint);
    return std::nullopt;
  }
  reader.problem(path, describe_value(value) + " is not a duration",
                 "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", "
                 "\"1h30m\", \"90s\"");
  return std::nullopt;
}

void read_retry_on(SpecReader& reader, const json& value, RetryPolicy& retry) {
  if (!value.is_array()) {
    reader.wrong_type("retry.on", "an array of endings", value,
                      "e.g. [\"gpu-error\", \"oom\"]; exit codes go in \"exit_codes\"");
    return;
  }
  // In the order of SpecWords::retry_on.
  static constexpr std::string_view kMeanings[] = {
      "any exit but 0", "the last output shows a GPU failure", "the OOM killer ended it",
      "the engine went away under it"};
  std::array<bool*, 4> flags{&retry.on_any_failure, &retry.on_gpu_error, &retry.on_oom,
                             &retry.on_engine_restart};
  for (bool* flag : flags) *flag = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i].is_number()) {
      reader.problem(
          index_path("retry.on", i), "exit codes are not endings",
          "list exit codes in \"exit_codes\", e.g. \"exit_codes\": [" + value[i].dump() + "]");
      continue;
    }
    if (auto word = read_one_of(reader, value[i], index_path("retry.on", i), SpecWords::retry_on,
                                "ending", kMeanings)) {
      *flags.at(*word) = true;
    }
  }
}

void read_retry(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("retry", "an object", value,
                      "e.g. {\"attempts\": 3, \"exit_codes\": [75], \"delay\": \"30s\"}");
    return;
  }
  reader.reject_unknown_keys(value, "retry", spec_fields(SpecObject::retry));
  RetryPolicy retry;
  if (!value.contains("attempts")) {
    reader.problem("retry.attempts", "required field is missing",
                   "say how many attempts in all, the first included, e.g. \"attempts\": 3");
  } else if (const json& attempts = value["attempts"];
             !attempts.is_number_integer() || attempts.get<std::int64_t>() < 1 ||
             attempts.get<std::int64_t>() > kMaxAttempts) {
    reader.problem("retry.attempts", describe_value(attempts) + " is not a number of attempts",
                   "give 1 to 100 attempts in all, the first included, e.g. 3");
  } else {
    retry.attempts = static_cast<int>(attempts.get<std::int64_t>());
  }
  if (value.contains("on")) read_retry_on(reader, value["on"], retry);
  if (value.contains("exit_codes")) {
    const json& codes = value["exit_codes"];
    if (!codes.is_array()) {
      reader.wrong_type("retry.exit_codes", "an array of exit codes", codes, "e.g. [1, 75]");
    }
    for (std::size_t i = 0; codes.is_array() && i < codes.size(); ++i) {
      const json& code = codes[i];
      if (!code.is_number_integer() || code.get<std::int64_t>() < 1 ||
          code.get<std::int64_t>() > 255) {
        reader.problem(index_path("retry.exit_codes", i),
                       describe_value(code) + " is not an exit code",
                       "exit codes run from 1 to 255 (0 is success, never retried)");
      } else if (std::find(retry.exit_codes.begin(), retry.exit_codes.end(), code.get<int>()) !=
                 retry.exit_codes.end()) {
        reader.problem(index_path("retry.exit_codes", i), code.dump() + " is listed twice",
                       "list each exit code once");
      } else {
        retry.exit_codes.push_back(code.get<int>());
      }
    }
  }
  if (value.contains("delay")) {
    if (auto delay = read_duration_value(reader, value["delay"], "retry.delay"))
      retry.delay = *delay;
  }
  if (value.contains("max_delay")) {
    if (auto longest = read_duration_value(reader, value["max_delay"], "retry.max_delay"))
      retry.max_delay = *longest;
  }
  if (retry.max_delay < retry.delay) {
    reader.problem("retry.max_delay", "the longest delay is shorter than the first",
                   "make max_delay at least delay, or leave it out (6m)");
  }
  spec.retry = std::move(retry);
}

// A glob relative to outputs, which never leaves it.
void read_checkpoint(SpecReader& reader, const json& value, JobSpec& spec) {
  auto pattern =
      reader.string_value(value, "checkpoint", "a glob under outputs, e.g. \"ckpt-*.pt\"");
  if (!pattern) return;
  const std::filesystem::path path(*pattern);
  const bool climbs = std::any_of(path.begin(), path.end(),
                                  [](const std::filesystem::path& part) { return part == ".."; });
  if (pattern->empty() || path.is_absolute() || climbs) {
    reader.problem("checkpoint", in_quotes(*pattern) + " is not a pattern under outputs",
                   "write it relative to the outputs directory, e.g. \"ckpt-*.pt\" or "
                   "\"checkpoints/step-*.pt\"");
    return;
  }
  if (!spec.outputs) {
    reader.problem("checkpoint", "a checkpoint pattern needs \"outputs\"",
                   "add \"outputs\": \"./outputs\" (the job writes its checkpoints to "
                   "/outputs, which dlrun reads between attempts)");
    return;
  }
  spec.checkpoint = *pattern;
}

void read_labels(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("labels", "an object of string labels", value, "e.g. {\"team\": \"vision\"}");
    return;
  }
  for (const auto& [key, label] : value.items()) {
    const std::string path = join_path("labels", key);
    if (key.starts_with(kReservedLabelPrefix)) {
      reader.problem(path, "labels starting with \"dlrun.\" are reserved",
                     "dlrun marks its containers with these; choose another prefix");
      continue;
    }
    if (key.empty()) {
      reader.problem(path, "a label needs a name", "e.g. {\"team\": \"vision\"}");
      continue;
    }
    if (!reader.check(path, check_text(key))) continue;
    if (auto text = reader.string_value(label, path, "label values are strings; quote numbers")) {
      spec.labels[key] = *text;
    }
  }
}

void read_cap_add(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_array()) {
    reader.wrong_type("cap_add", "an array of capability names", value, "e.g. [\"SYS_PTRACE\"]");
    return;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = index_path("cap_add", i);
    auto name = reader.string_value(value[i], path);
    if (!name) continue;
    auto canonical = canonical_capability(*name);
    if (!canonical) {
      const auto suggestion = closest_match(*name, known_capabilities());
      reader.problem(path, "unknown capability " + in_quotes(*name),
                     suggestion
                         ? "did you mean " + in_quotes(*suggestion) + "?"
                         : "name a Linux capability such as \"SYS_PTRACE\" (see capabilities(7))");
      continue;
    }
    if (*canonical == "ALL") {
      reader.problem(path, "adding ALL capabilities is refused",
                     "name only the capabilities the job needs, e.g. \"SYS_PTRACE\" for debuggers");
      continue;
    }
    spec.cap_add.push_back(*canonical);
  }
}

void read_pull(SpecReader& reader, const json& value, JobSpec& spec) {
  auto text = reader.string_value(value, "pull");
  if (!text) return;
  if (auto policy = read_pull_policy(*text)) {
    spec.pull = *policy;
  } else {
    reader.problem("pull", policy.error().message, policy.error().hint);
  }
}

void read_registry_mirror(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("registry_mirror", "an object of registry: mirror pairs", value,
                      "e.g. {\"docker.io\": \"mirror.example:5000\"}");
    return;
  }
  for (const auto& [registry, mirror] : value.items()) {
    const std::string path = join_path("registry_mirror", registry);
    auto host = reader.string_value(mirror, path);
    if (!host) continue;
    if (!reader.check(path, check_registry_mirror(registry, *host))) continue;
    spec.registry_mirror[registry] = *host;
  }
}

void read_registry_auth(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("registry_auth", "an object", value,
                      "e.g. {\"username\": \"$oauthtoken\", \"password_env\": \"NGC_API_KEY\"}");
    return;
  }
  if (value.contains("password")) {
    reader.problem(
        "registry_auth.password", "passwords are never written in a spec",
        "put it in a host variable and name that: \"password_env\": \"REGISTRY_PASSWORD\"");
    return;
  }
  reader.reject_unknown_keys(value, "registry_auth", spec_fields(SpecObject::registry_auth));
  RegistryAuth auth;
  if (value.contains("username")) {
    if (auto username = reader.string_value(value["username"], "registry_auth.username"))
      auth.username = *username;
  }
  if (value.contains("username_env")) {
    if (auto name = reader.string_value(value["username_env"], "registry_auth.username_env"))
      auth.username_env = *name;
  }
  if (auth.username.empty() && !auth.username_env) {
    reader.problem("registry_auth.username", "required field is missing",
                   "give \"username\" (e.g. \"$oauthtoken\" for nvcr.io) or \"username_env\"");
  }
  if (!value.contains("password_env")) {
    reader.problem("registry_auth.password_env", "required field is missing",
                   "name the host variable that holds the password or token, e.g. \"NGC_API_KEY\"");
  } else if (auto name = reader.string_value(value["password_env"], "registry_auth.password_env")) {
    auth.password_env = *name;
  }
  spec.registry_auth = auth;
}

void read_framework(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("framework", "an object", value,
                      "e.g. {\"name\": \"pytorch\", \"version\": \"2.3\"}");
    return;
  }
  reader.reject_unknown_keys(value, "framework", spec_fields(SpecObject::framework));
  FrameworkChoice choice;
  if (!value.contains("name")) {
    reader.problem("framework.name", "required field is missing",
                   "use one of: " + join_names(spec_words(SpecWords::framework_name)));
  } else if (auto name = read_one_of(reader, value["name"], "framework.name",
                                     SpecWords::framework_name, "framework")) {
    choice.name = spec_words(SpecWords::framework_name)[*name];
  }
  for (auto [key, field] : {std::pair{"version", &choice.version}, std::pair{"cuda", &choice.cuda},
                            std::pair{"python", &choice.python}}) {
    if (!value.contains(key)) continue;
    const std::string path = join_path("framework", key);
    if (auto text = reader.string_value(value[key], path, "quote it: \"2.3\"")) {
      *field = VersionConstraint::parse(*text);
      if (!*field) {
        reader.problem(path, in_quotes(*text) + " is not a version constraint",
                       "write a version (\"2.3\" for any 2.3.x) or bounds (\">=2.1,<2.4\")");
      }
    }
  }
  if (value.contains("variant")) {
    static constexpr std::array<std::string_view, 2> kMeanings{"smaller",
                                                               "with compilers and headers"};
    if (auto variant = read_one_of(reader, value["variant"], "framework.variant",
                                   SpecWords::framework_variant, "variant", kMeanings)) {
      choice.variant = static_cast<FrameworkVariant>(*variant);
    }
  }
  if (value.contains("source")) {
    static constexpr std::array<std::string_view, 2> kMeanings{"the framework's own images",
                                                               "NVIDIA's"};
    if (auto source = read_one_of(reader, value["source"], "framework.source",
                                  SpecWords::framework_source, "image source", kMeanings)) {
      choice.source = static_cast<FrameworkSource>(*source);
    }
  }
  spec.framework = choice;
}

// Reads an array of strings at `path`, each checked by `check` (nullopt: fine).
std::vector<std::string> read_string_list(
    SpecReader& reader, const json& value, const std::string& path, std::string_view example,
    const std::function<FieldCheck(const std::string&)>& check) {
  std::vector<std::string> items;
  if (!value.is_array()) {
    reader.wrong_type(path, "an array of strings", value, "e.g. " + std::string(example));
    return items;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = index_path(path, i);
    auto item = reader.string_value(value[i], item_path);
    if (!item) continue;
    if (reader.check(item_path, check(*item))) items.push_back(std::move(*item));
  }
  return items;
}

void read_build(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("build", "an object", value,
                      "e.g. {\"apt\": [\"libsndfile1\"], \"pip\": [\"transformers==4.44.2\"]}");
    return;
  }
  reader.reject_unknown_keys(value, "build", spec_fields(SpecObject::build));
  BuildSection build;
  if (value.contains("apt")) {
    build.apt = read_string_list(reader, value["apt"], "build.apt", "[\"libsndfile1\", \"ffmpeg\"]",
                                 check_apt_package);
  }
  if (value.contains("pip")) {
    build.pip = read_string_list(reader, value["pip"], "build.pip",
                                 "[\"transformers==4.44.2\", \"nltk\"]", check_pip_requirement);
  }
  if (value.contains("run")) {
    build.run = read_string_list(
        reader, value["run"], "build.run", "[\"python -m nltk.downloader punkt\"]",
        [](const std::string& command) -> FieldCheck {
          if (!command.empty()) return std::nullopt;
          return FieldProblem{"the command is empty", "give a shell command, or remove the item"};
        });
  }
  if (value.contains("requirements")) {
    if (auto file =
            reader.string_value(value["requirements"], "build.requirements",
                                "name a pip requirements file, e.g. \"requirements.txt\"")) {
      if (file->empty()) {
        reader.problem("build.requirements", "the file name is empty",
                       "name a pip requirements file, e.g. \"requirements.txt\"");
      } else {
        build.requirements = reader.host_path(*file);
      }
    }
  }
  if (value.contains("env")) {
    JobSpec variables;
    read_env(reader, value["env"], variables, "build.env");
    // A secret (from the host) that is not a proxy makes dlrun run the steps itself, so that
    // the builder never records it (run/step_commits.hpp).
    for (auto& variable : variables.env) build.env.push_back(std::move(variable));
  }
  if (value.contains("network")) {
    if (auto index = read_one_of(reader, value["network"], "build.network",
                                 SpecWords::build_network, "build network")) {
      build.network = static_cast<BuildNetwork>(*index);
    }
  }
  if (build.apt.empty() && build.pip.empty() && build.run.empty() && !build.requirements &&
      reader.ok()) {
    reader.problem("build", "the build installs nothing",
                   "list packages in \"apt\" or \"pip\", a \"requirements\" file, or \"run\" "
                   "commands; or remove \"build\" to run the image as it is");
    return;
  }
  spec.build = std::move(build);
}

void read_distributed(SpecReader& reader, const json& value, JobSpec& spec) {
  if (!value.is_object()) {
    reader.wrong_type("distributed", "an object", value,
                      "e.g. {\"nodes\": 2, \"gpus_per_node\": 8}");
    return;
  }
  reader.reject_unknown_keys(value, "distributed", spec_fields(SpecObject::distributed));
  Distributed distributed;
  // A whole number within [low, high] at `path`, or a problem that says so.
  const auto whole = [&](const char* key, std::int64_t low, std::int64_t high,
                         std::string_view what) -> std::optional<int> {
    const json& field = value[key];
    const std::string path = join_path("distributed", key);
    if (!field.is_number_integer() || field.get<std::int64_t>() < low ||
        field.get<std::int64_t>() > high) {
      reader.problem(
          path, describe_value(field) + " is not " + std::string(what),
          "give a whole number from " + std::to_string(low) + " to " + std::to_string(high));
      return std::nullopt;
    }
    return static_cast<int>(field.get<std::int64_t>());
  };
  if (!value.contains("nodes")) {
    reader.problem("distributed.nodes", "required field is missing",
                   "say how many nodes the job spans, e.g. \"nodes\": 2");
  } else if (auto nodes = whole("nodes", 1, 4096, "a node count")) {
    distributed.nodes = *nodes;
  }
  if (value.contains("gpus_per_node")) {
    distributed.gpus_per_node = whole("gpus_per_node", 1, 1024, "a GPU count");
  }
  if (value.contains("master_port")) {
    if (auto port = whole("master_port", 1, 65535, "a port")) distributed.master_port = *port;
  }
  spec.distributed = distributed;
}

// nlohmann keeps the last of duplicate keys silently; a spec with two "image"s is a mistake.
struct DuplicateKeyDetector {
  std::vector<std::set<std::string>> open_objects;
  std::vector<std::string> duplicates;

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicates.push_back(parsed.get<std::string>());
        }
        break;
      default:
        break;
    }
    return true;
  }
};

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t byte) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < std::min(byte, text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column > 1 ? column - 1 : 1};
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error …";
// keep only the reason, since we print the location ourselves. Its "last read: '…'" quotes the
// spec's bytes, which need not be UTF-8, and problems are printed as JSON too: bytes beyond
// ASCII are shown as \xNN.
std::string parse_error_reason(const std::string& what) {
  const auto column = what.find("column ");
  const auto colon = column == std::string::npos ? what.find(": ") : what.find(": ", column);
  std::string reason;
  for (const char c : colon == std::string::npos ? what : what.substr(colon + 2)) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      reason += c;
    } else {
      reason += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
    }
  }
  return reason;
}

}  // namespace

bool is_gpu_id(std::string_view id) {
  const bool index = !id.empty() && id.size() <= 4 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  // A MIG device by its GPU's index and its own ("0:1"), or by UUID.
  static const std::regex kMigIndex("[0-9]{1,4}:[0-9]{1,4}");
  static const std::regex kUuid("(GPU|MIG)-[A-Za-z0-9/-]+");
  return index || std::regex_match(id.begin(), id.end(), kMigIndex) ||
         std::regex_match(id.begin(), id.end(), kUuid);
}

std::expected<GpuRequest, std::string> parse_gpu_flag(std::string_view text) {
  if (text == "all") return GpuAll{};
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    if (text.size() > 4)
      return std::unexpected("GPU count " + std::string(text) + " is out of range");
    const int count = std::stoi(std::string(text));
    if (count == 0) return GpuNone{};
    return GpuCount{count};
  }
  GpuList list;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view id = rest.substr(0, comma);
    if (!is_gpu_id(id)) {
      return std::unexpected(in_quotes(id) + " is not a GPU index or UUID");
    }
    list.ids.emplace_back(id);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return list;
}

std::expected<JobSpec, SpecProblems> parse_job_spec(std::string_view text,
                                                    const std::filesystem::path& base_dir,
                                                    std::string_view default_name,
                                                    const EnvLookup& env) {
  SpecReader reader(base_dir, env);
  DuplicateKeyDetector duplicates;
  json document;
  try {
    document = json::parse(text.begin(), text.end(), std::ref(duplicates));
  } catch (const json::parse_error& error) {
    const auto [line, column] = line_and_column(text, error.byte);
    reader.problem(std::to_string(line) + ":" + std::to_string(column),
                   "invalid JSON: " + parse_error_reason(error.what()),
                   "JSON needs double-quoted keys and strings, commas between items but not after "
                   "the last, and no comments");
    return std::unexpected(reader.take_problems());
  } catch (const json::out_of_range& error) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e309'", with no location.
    const std::string what = error.what();
    reader.problem("", "invalid JSON: " + what.substr(what.find("] ") + 2),
                   "numbers must fit in a double, e.g. 8 or 0.5");
    return std::unexpected(reader.take_problems());
  }
  for (const auto& key : duplicates.duplicates) {
    reader.problem(key, "field appears more than once",
                   "keep one; JSON readers silently disagree on which wins");
  }
  if (!document.is_object()) {
    reader.wrong_type("", "a JSON object", document,
                      "a spec looks like {\"version\": 1, \"image\": \"…\", \"command\": "
                      "[\"python\", \"train.py\"]}");
    return std::unexpected(reader.take_problems());
  }

  reader.reject_unknown_keys(document, "", spec_fields(SpecObject::top_level));
  JobSpec spec;

  if (!document.contains("version")) {
    reader.problem("version", "required field is missing",
                   "add \"version\": 1 (the spec format this dlrun reads)");
  } else if (!document["version"].is_number_integer() ||
             document["version"].get<std::int64_t>() != 1) {
    reader.problem("version", "unsupported spec version " + document["version"].dump(),
                   "this dlrun reads \"version\": 1");
  }

  spec.name = std::string(default_name);
  if (document.contains("name")) {
    if (auto name = reader.string_value(document["name"], "name")) {
      if (reader.check("name", check_job_name(*name))) spec.name = *name;
    }
  }

  if (document.contains("framework")) read_framework(reader, document["framework"], spec);
  if (!document.contains("image") && !document.contains("framework")) {
    reader.problem(
        "image", "required field is missing",
        "name the image to run, e.g. \"pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\", or a "
        "framework for dlrun to choose one: \"framework\": {\"name\": \"pytorch\", \"version\": "
        "\"2.3\"}");
  } else if (!document.contains("image")) {
    // Resolved later, against the host.
  } else if (auto image = reader.string_value(document["image"], "image")) {
    if (reader.check("image", check_image_reference(*image))) spec.image = *image;
  }

  if (document.contains("command")) read_command(reader, document["command"], spec);
  if (document.contains("workdir")) {
    if (auto workdir = reader.string_value(document["workdir"], "workdir")) {
      if (!is_absolute_container_path(*workdir)) {
        reader.problem("workdir", in_quotes(*workdir) + " is not an absolute path",
                       "container paths start with /, e.g. \"/workspace\"");
      } else {
        spec.workdir = *workdir;
      }
    }
  }
  if (document.contains("env")) read_env(reader, document["env"], spec);
  if (document.contains("mounts")) read_mounts(reader, document["mounts"], spec);
  if (document.contains("outputs")) {
    if (auto outputs = reader.string_value(document["outputs"], "outputs",
                                           "name a host directory, e.g. \"./outputs\"")) {
      if (outputs->empty()) {
        reader.problem("outputs", "the outputs directory is empty",
                       "name a host directory, e.g. \"./outputs\"");
      } else {
        spec.outputs = reader.host_path(*outputs);
        reader.check("outputs", check_host_path(spec.outputs->string()));
        for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
          if (spec.mounts[i].target == kOutputsTarget) {
            reader.problem(index_path("mounts", i) + ".target",
                           "\"/outputs\" is where \"outputs\" is mounted",
                           "mount this elsewhere, or drop \"outputs\" and keep the mount");
          }
        }
      }
    }
  }
  if (document.contains("gpus")) read_gpus(reader, document["gpus"], spec);
  if (document.contains("gpu_path")) read_gpu_path(reader, document["gpu_path"], spec);
  if (document.contains("resources")) read_resources(reader, document["resources"], spec);
  if (document.contains("user")) read_user(reader, document["user"], spec);
  if (document.contains("network")) read_network(reader, document["network"], spec);
  if (document.contains("timeout")) {
    if (auto timeout = read_duration_value(reader, document["timeout"], "timeout"))
      spec.timeout = *timeout;
  }
  if (document.contains("labels")) read_labels(reader, document["labels"], spec);
  if (document.contains("cap_add")) read_cap_add(reader, document["cap_add"], spec);
  if (document.contains("pull")) read_pull(reader, document["pull"], spec);
  if (document.contains("registry_mirror"))
    read_registry_mirror(reader, document["registry_mirror"], spec);
  if (document.contains("registry_auth"))
    read_registry_auth(reader, document["registry_auth"], spec);
  if (document.contains("build")) read_build(reader, document["build"], spec);
  if (document.contains("distributed")) read_distributed(reader, document["distributed"], spec);
  if (document.contains("retry")) read_retry(reader, document["retry"], spec);
  if (document.contains("checkpoint")) read_checkpoint(reader, document["checkpoint"], spec);

  if (!reader.ok()) return std::unexpected(reader.take_problems());
  return spec;
}

Result<LoadedSpec> load_job_spec(const std::filesystem::path& file, const EnvLookup& env) {
  errno = 0;
  const std::ifstream in(file, std::ios::binary);
  if (!in) {
    // open(2)'s own reason: a directory on the way that the user may not enter is "permission
    // denied", not "no such file".
    const int reason = errno;
    if (reason == ENOENT || reason == 0) {
      return fail(ErrorKind::usage, "cannot read job spec " + file.string() + ": no such file",
                  "check the path; `dlrun train --help` shows an example spec");
    }
    return fail(ErrorKind::usage,
                "cannot read job spec " + file.string() + ": " +
                    (reason == EACCES ? std::string("permission denied") : std::strerror(reason)),
                "check the permissions of the file and of the directories above it");
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto absolute = std::filesystem::absolute(file).lexically_normal();
  std::string default_name = file.stem().string();
  if (!is_valid_job_name(default_name)) default_name = "job";
  auto spec = parse_job_spec(text.str(), absolute.parent_path(), default_name, env);
  if (!spec) return std::unexpected(to_error(spec.error(), file.string()));
  return LoadedSpec{std::move(*spec), sha256_digest(text.str()), text.str()};
}

}  // namespace dlrun::jobspec
