#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dlrun/version_number.hpp"

// The job spec as dlrun understands it. Knows nothing of JSON: jobspec/parse.cpp converts.
namespace dlrun::jobspec {

// A value for the container's environment: written in the spec, or read from the host at run
// time so that secrets never live in the spec file and are never printed.
struct LiteralValue {
  std::string value;
};
struct FromHostEnv {
  std::string host_variable;
};
using EnvValue = std::variant<LiteralValue, FromHostEnv>;

struct EnvVar {
  std::string name;
  EnvValue value;
};

enum class MountKind { bind, volume };

struct Mount {
  MountKind kind = MountKind::bind;
  std::string source;  // absolute host path (bind) or volume name
  std::string target;  // absolute path in the container
  bool read_only = false;
};

// Which GPUs the job gets. `none` also shields the job from an image's NVIDIA_VISIBLE_DEVICES=all.
struct GpuNone {};
struct GpuAll {};
struct GpuCount {
  int count = 0;
};
struct GpuList {
  std::vector<std::string> ids;  // indexes ("0") or UUIDs ("GPU-…")
};
using GpuRequest = std::variant<GpuNone, GpuAll, GpuCount, GpuList>;

// How the GPUs reach the container (the spec's "gpu_path"; its words in this order): CDI devices
// where the engine has CDI and the host's CDI spec lists the GPUs, else NVIDIA's hook.
enum class GpuPath { automatic, cdi, legacy };

inline constexpr std::int64_t kDefaultShmBytes = 8LL << 30;
inline constexpr std::int64_t kDefaultPidsLimit = 16384;
// The engine keeps every job's output up to this size (the newest part), for dlrun logs.
inline constexpr std::int64_t kDefaultLogBytes = 100LL << 20;
inline constexpr std::int64_t kMinLogBytes = 1LL << 20;
inline constexpr std::int64_t kUnlimited = -1;  // a ulimit without a limit, as Docker writes it

struct Resources {
  std::int64_t shm_bytes = kDefaultShmBytes;
  std::optional<std::int64_t> memory_bytes;
  std::optional<double> cpus;
  std::int64_t pids_limit = kDefaultPidsLimit;
  // Locked-memory limit as the spec asks for it: bytes, or kUnlimited. nullopt: not asked, and
  // dlrun asks for unlimited (NVIDIA's advice for NCCL and pinned memory) where the daemon may
  // grant it.
  std::optional<std::int64_t> memlock_bytes;
  std::int64_t log_bytes = kDefaultLogBytes;  // 0: none kept ("none": full streaming speed)
};

struct UserHost {};  // the invoking uid:gid, with a writable HOME
struct UserRoot {};
struct UserIds {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};
using UserChoice = std::variant<UserHost, UserRoot, UserIds>;

enum class NetworkMode { bridge, none, host };

// How the command is given: an argv array runs as is, a string runs under /bin/sh -c.
struct CommandArgv {
  std::vector<std::string> argv;
};
struct CommandShell {
  std::string script;
};
using Command = std::variant<std::monostate, CommandArgv, CommandShell>;  // monostate: image CMD

// When the image is pulled: only when the engine lacks it (default), before every run, or never.
enum class PullPolicy { missing, always, never };

// Registry credentials named by host environment variables, never written in the spec.
struct RegistryAuth {
  std::string username;                     // literal, e.g. NGC's "$oauthtoken"
  std::optional<std::string> username_env;  // or read from this host variable
  std::string password_env;                 // the host variable holding the password or token
};

enum class FrameworkVariant { runtime, devel };
enum class FrameworkSource { official, ngc };

// A framework to resolve an image from (dlrun resolve), when no explicit `image` is given.
struct FrameworkChoice {
  std::string name;                          // pytorch, tensorflow, jax, cuda
  std::optional<VersionConstraint> version;  // "2.3", ">=2.1,<2.4"
  std::optional<VersionConstraint> cuda;     // ">=12.1"
  std::optional<VersionConstraint> python;   // "3.10", ">=3.11"
  std::optional<FrameworkVariant> variant;
  std::optional<FrameworkSource> source;
};

// Which network a build's steps reach the package archives through.
enum class BuildNetwork { default_network, host, none };

// Packages a job needs on top of its image: dlrun builds (once) and runs a derived image.
struct BuildSection {
  std::vector<std::string> apt;                       // Debian package names, "name[=version]"
  std::optional<std::filesystem::path> requirements;  // a pip requirements file on this host
  std::vector<std::string> pip;                       // pip requirement lines, in order
  std::vector<std::string> run;                       // shell commands, in order, after the rest
  std::vector<EnvVar> env;  // set only while building: never in the image or its history
  BuildNetwork network = BuildNetwork::default_network;
};

// One job over several nodes: each node's container gets the host network and the variables
// torchrun reads (MASTER_ADDR, NODE_RANK, …); docs/distributed.md.
inline constexpr int kDefaultMasterPort = 29500;
struct Distributed {
  int nodes = 1;
  std::optional<int> gpus_per_node;
  int master_port = kDefaultMasterPort;
};

// Which endings of a job start it again, in a fresh container from the same plan, and when
// (docs/retries.md).
struct RetryPolicy {
  int attempts = 1;                // in all, the first included
  std::vector<int> exit_codes;     // the job's own exit codes that are retried
  bool on_any_failure = false;     // any exit but 0 (a stop or a timeout is never retried)
  bool on_gpu_error = true;        // its last output shows a GPU failure (run/job/gpu_failures.hpp)
  bool on_oom = false;             // the OOM killer ended it
  bool on_engine_restart = true;   // the engine went away under it and came back
  std::chrono::seconds delay{10};  // before the second attempt, doubled before each after it
  std::chrono::seconds max_delay{360};
};
inline constexpr int kMaxAttempts = 100;

struct JobSpec {
  int version = 1;
  std::string name;
  // The image reference; empty until resolved when only `framework` is given. An explicit
  // `image` always wins.
  std::string image;
  std::optional<FrameworkChoice> framework;
  Command command;
  std::optional<std::string> workdir;
  std::vector<EnvVar> env;
  std::vector<Mount> mounts;
  std::optional<std::filesystem::path> outputs;  // host dir, mounted at /outputs
  // A glob under outputs naming the job's checkpoints ("ckpt-*.pt"): the newest match is the
  // attempt's DLRUN_RESUME_FROM.
  std::optional<std::string> checkpoint;
  GpuRequest gpus = GpuNone{};
  GpuPath gpu_path = GpuPath::automatic;
  Resources resources;
  UserChoice user = UserHost{};
  NetworkMode network = NetworkMode::bridge;
  std::optional<std::chrono::seconds> timeout;
  std::map<std::string, std::string> labels;
  std::vector<std::string> cap_add;  // capabilities added back after dropping ALL
  PullPolicy pull = PullPolicy::missing;
  std::map<std::string, std::string> registry_mirror;  // registry → mirror host
  std::optional<RegistryAuth> registry_auth;
  std::optional<BuildSection> build;
  std::optional<Distributed> distributed;
  std::optional<RetryPolicy> retry;
};

inline constexpr const char* kOutputsTarget = "/outputs";

// Labels of this prefix are dlrun's own record on its containers; a spec may not set them.
inline constexpr std::string_view kReservedLabelPrefix = "dlrun.";

}  // namespace dlrun::jobspec
