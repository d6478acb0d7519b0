#include "dlrun/doctor/checks.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
// glibc's major() and minor() macros would rewrite Version::major(); its functions remain.
#undef major
#undef minor

#include <algorithm>
#include <set>

#include "dlrun/engine/client.hpp"
#include "dlrun/jobspec/schema.hpp"
#include "dlrun/resolve/catalog.hpp"
#include "dlrun/resolve/gpu_health.hpp"
#include "dlrun/resolve/resolver.hpp"
#include "dlrun/run/commands/train.hpp"
#include "dlrun/run/host/cdi_specs.hpp"
#include "dlrun/run/host/daemon_memory.hpp"
#include "dlrun/run/host/docker_host.hpp"
#include "dlrun/run/host/engine_profile.hpp"
#include "dlrun/run/image/image_choice.hpp"
#include "dlrun/run/image/pull_display.hpp"
#include "dlrun/run/job/orphans.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/defaults.hpp"
#include "dlrun/text.hpp"

namespace dlrun::doctor {
namespace {

constexpr std::int64_t kDiskWarnBytes = 30LL * 1000 * 1000 * 1000;  // a few framework images
constexpr std::int64_t kDiskFailBytes = 5LL * 1000 * 1000 * 1000;

// What a probe found: the container could not be made (outer error), or its start's result.
using ProbeResult = Result<Result<void>>;

// Creates a container from `body` (one whose program does not exist, so nothing runs), starts it
// and removes it: the start shows what the daemon grants.
ProbeResult start_probe(engine::EngineClient& client, const std::string& body) {
  auto created = client.create_container("dlrun-doctor-probe-" + std::to_string(::getpid()), body);
  if (!created) return std::unexpected(created.error());
  auto started = client.start_container(*created);
  (void)client.remove_container(*created);
  return started;
}

// The only sure test of the engine's GPU path: a container asking for every GPU the way a job
// would (`path`: NVIDIA's hook or CDI devices), started. Its program does not exist, so nothing
// runs; the engine picks a device driver (and runs NVIDIA's hook, or injects the CDI devices)
// before it gets that far.
CheckResult probe_gpu_path(engine::EngineClient& client, const std::optional<std::string>& image,
                           const run::PlannedGpus& path) {
  CheckResult check{"gpu path", CheckStatus::ok, "", ""};
  const std::string way = path.delivery == run::GpuDelivery::cdi
                              ? "CDI (" + joined(path.cdi_devices, ", ") + ")"
                              : "NVIDIA's hook";
  if (!image) {
    check.status = CheckStatus::warn;
    check.detail = way + ", not probed: the engine has no image to probe with";
    check.fix = "pull any image (or run a job once), then run dlrun doctor again";
    return check;
  }
  auto created = client.create_container("dlrun-doctor-probe-" + std::to_string(::getpid()),
                                         run::gpu_probe_request_body(*image, path));
  if (!created) {
    check.status = CheckStatus::warn;
    check.detail = way + ", not probed: " + created.error().message;
    return check;
  }
  // An engine may take the request and drop it (Podman's Docker API): then nothing after it
  // is evidence of a GPU path.
  auto kept = client.inspect_container(*created);
  ProbeResult probed = kept ? ProbeResult(client.start_container(*created))
                            : ProbeResult(std::unexpected(kept.error()));
  (void)client.remove_container(*created);
  if (!probed) {
    check.status = CheckStatus::warn;
    check.detail = way + ", not probed: " + probed.error().message;
    return check;
  }
  if (path.delivery != run::GpuDelivery::cdi && kept->device_requests == 0) {
    const engine::EngineIdentity engine = client.identity();
    check.status = CheckStatus::fail;
    check.detail = engine.words() +
                   " dropped the probe's GPU request: it passes no GPUs through the Docker API's "
                   "device requests";
    check.fix = engine.podman() ? "Podman's Docker API passes GPUs only as CDI devices (Podman "
                                  "5.4 and later); run GPU jobs on Docker Engine with the NVIDIA "
                                  "Container Toolkit"
                                : "check the engine's GPU support";
    return check;
  }
  const Result<void>& started = *probed;
  if (!started && (started.error().kind == ErrorKind::no_gpu_driver ||
                   started.error().kind == ErrorKind::gpu_unavailable)) {
    check.status = CheckStatus::fail;
    check.detail = started.error().message;
    check.fix = started.error().hint;
    return check;
  }
  // Failing at our missing program means the GPU path got through.
  check.detail = way + ": " +
                 (path.delivery == run::GpuDelivery::cdi
                      ? std::string("the engine injected the devices")
                      : std::string("GPU requests are accepted (the daemon selected its NVIDIA "
                                    "driver)")) +
                 "; " + path.reason;
  return check;
}

// dlrun's training defaults (unlimited memlock, a 64 MB stack, an init process), asked of the
// daemon with a container that never runs. A refused one is what `dlrun train` would give way
// on; the finding is remembered for train, and forgotten once the daemon grants everything.
CheckResult probe_training_defaults(engine::EngineClient& client, const std::string& image,
                                    const run::Surroundings& surroundings,
                                    const run::EngineProfile& profile) {
  CheckResult check{"training defaults", CheckStatus::ok, "", ""};
  auto memory = run::DaemonMemory::load(surroundings.env);
  const std::string& address = surroundings.endpoint.display;
  std::vector<run::PlannedUlimit> asked = run::default_ulimits();
  // An engine that drops the limits it is asked for would start the probe, and grant nothing:
  // train's plan asks it for none, and so does the probe.
  const bool unenforced = profile.drops_requested_limits() || !profile.enforces_resource_limits();
  if (profile.drops_requested_limits()) asked.clear();
  bool init = true;
  std::vector<std::string> refused;
  for (std::size_t probe = 0; probe <= asked.size() + 1; ++probe) {
    auto probed = start_probe(client, run::limits_probe_request_body(image, asked, init));
    if (!probed) {
      check.status = CheckStatus::warn;
      check.detail = "not probed: " + probed.error().message;
      return check;
    }
    const Result<void>& started = *probed;
    if (started || started.error().kind != ErrorKind::setting_refused) break;
    std::string setting = started.error().subject;
    bool gave_way =
        setting == "init"
            ? std::exchange(init, false)
            : std::erase_if(asked, [&](const run::PlannedUlimit& l) { return l.name == setting; });
    // A limit not asked for is one the engine adds to any request with limits (Podman): asking
    // for none is the way round it, as train's plan gives way (run::default_to_give_way).
    if (!gave_way && setting != "init" && !asked.empty()) {
      asked.clear();
      setting = "ulimits";
      gave_way = true;
    }
    if (!gave_way) break;
    refused.push_back(setting);
  }
  if (refused.empty()) memory.forget(address);
  if (refused.empty() && !unenforced) {
    check.detail = "granted: unlimited memlock, 64 MB stack, an init process";
    return check;
  }
  check.status = CheckStatus::warn;
  if (unenforced) check.detail = run::unenforced_limits_warning(profile, address);
  for (const auto& setting : refused) {
    memory.remember_refusal(address, client.server_version(), setting);
    check.detail += (check.detail.empty() ? "" : "; ") +
                    run::gave_way_warning(setting, client.identity(), address);
  }
  check.fix = "jobs still run, with the daemon's own limits; the fix is the daemon's (above)";
  return check;
}

CheckResult disk_check(const engine::EngineInfo& info, bool local) {
  CheckResult check{"disk", CheckStatus::ok, "", ""};
  struct statvfs stats {};
  if (!local || info.docker_root_dir.empty() ||
      statvfs(info.docker_root_dir.c_str(), &stats) != 0) {
    check.status = CheckStatus::warn;
    check.detail = "cannot see the free space under the daemon's data root " +
                   (info.docker_root_dir.empty() ? std::string("(unknown)") : info.docker_root_dir);
    check.fix = "check it on the Docker host: df -h " + info.docker_root_dir;
    return check;
  }
  const auto free_bytes =
      static_cast<std::int64_t>(stats.f_bavail) * static_cast<std::int64_t>(stats.f_frsize);
  check.detail = format_bytes(free_bytes) + " free under " + info.docker_root_dir;
  if (free_bytes < kDiskFailBytes) {
    check.status = CheckStatus::fail;
    check.fix =
        "deep-learning images take 5-20 GB each: free space (docker system prune) or move the data "
        "root";
  } else if (free_bytes < kDiskWarnBytes) {
    check.status = CheckStatus::warn;
    check.fix =
        "room for a few framework images at most; docker system df shows what takes the space";
  }
  return check;
}

// Containers of dlruns that were killed outright (run/orphans.hpp).
CheckResult orphan_check(engine::EngineClient& client) {
  CheckResult check{"left-behind containers", CheckStatus::ok, "none", ""};
  auto orphans = run::find_orphans(client);
  if (!orphans) {
    check.status = CheckStatus::warn;
    check.detail = "cannot list dlrun's containers: " + orphans.error().message;
    return check;
  }
  if (orphans->empty()) return check;
  const auto running = std::count_if(orphans->begin(), orphans->end(),
                                     [](const run::Orphan& orphan) { return orphan.running; });
  check.status = CheckStatus::warn;
  check.detail = std::to_string(orphans->size()) + " of dlruns that were killed (" +
                 std::to_string(running) + " still running)";
  check.fix = running > 0 ? "dlrun clean --running stops and removes them"
                          : "dlrun clean removes them (so does the next dlrun train)";
  return check;
}

// The newest image of each framework that runs on this host, as `dlrun train` would choose it.
std::vector<CheckResult> image_checks(const resolve::HostFacts& facts,
                                      const resolve::Catalog& catalog,
                                      const std::set<std::string>& on_engine) {
  std::vector<CheckResult> checks;
  for (const std::string_view framework : jobspec::spec_words(jobspec::SpecWords::framework_name)) {
    CheckResult check{std::string(framework) + " image", CheckStatus::ok, "", ""};
    auto resolved = resolve::resolve_image(
        resolve::FrameworkRequest{.name = std::string(framework)}, facts, catalog,
        [&](const resolve::ImageEntry& image) { return on_engine.contains(image.reference); });
    if (resolved) {
      check.detail = resolved->chosen->reference +
                     (resolved->considered.front().present_locally ? " (on the engine)" : "");
    } else {
      check.status = CheckStatus::warn;
      check.detail = "none fits: " + resolved.error().message;
      check.fix = resolved.error().hint;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

// The NVIDIA device nodes under `dev` that have no /dev/char/MAJOR:MINOR link: systemd re-grants
// a container's devices after a daemon-reload by those links, and drops the rest.
std::vector<std::string> nvidia_nodes_without_char_links(const std::filesystem::path& dev) {
  std::vector<std::string> unlinked;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dev, error)) {
    const std::string name = entry.path().filename().string();
    struct stat node {};
    if (!name.starts_with("nvidia") || stat(entry.path().c_str(), &node) != 0 ||
        !S_ISCHR(node.st_mode)) {
      continue;
    }
    const auto link = dev / "char" /
                      (std::to_string(gnu_dev_major(node.st_rdev)) + ":" +
                       std::to_string(gnu_dev_minor(node.st_rdev)));
    if (!std::filesystem::exists(link, error)) unlinked.push_back(name);
  }
  std::sort(unlinked.begin(), unlinked.end());
  return unlinked;
}

// The setup that takes a running job's GPUs away (NVIDIA/nvidia-container-toolkit#48): the
// engine's systemd cgroup driver, GPUs through the legacy hook, and device nodes without their
// /dev/char links.
CheckResult nvml_loss_check(const std::string& cgroup_driver, run::GpuDelivery delivery,
                            const std::vector<std::string>& unlinked_nodes) {
  CheckResult check{"gpu loss", CheckStatus::ok, "", ""};
  if (cgroup_driver != "systemd") {
    check.detail = "the engine's cgroup driver is " +
                   (cgroup_driver.empty() ? std::string("unknown") : cgroup_driver) +
                   ", not systemd: a daemon-reload leaves the jobs' GPUs alone";
  } else if (delivery != run::GpuDelivery::legacy_hook) {
    check.detail = "GPUs arrive as CDI devices, which a daemon-reload leaves in place";
  } else if (unlinked_nodes.empty()) {
    check.detail = "the NVIDIA device nodes have their /dev/char links";
  } else {
    check.status = CheckStatus::warn;
    check.detail =
        "systemd cgroup driver, GPUs through the legacy hook, and " + joined(unlinked_nodes, ", ") +
        " without /dev/char links: a `systemctl daemon-reload` (package installs run one) takes "
        "running jobs' GPUs away (\"Failed to initialize NVML: Unknown Error\", "
        "nvidia-container-toolkit#48)";
    check.fix =
        "give GPUs through CDI (nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml; Docker 25+ "
        "or Podman), or create the links: nvidia-ctk system create-dev-char-symlinks "
        "--create-all, with a udev rule to keep them (docs/gpu-failures.md)";
  }
  return check;
}

// What NVML says of each GPU's health, as train checks the GPUs a job is given.
CheckResult gpu_health_check(const resolve::HostFacts& facts) {
  CheckResult health{"gpu health", CheckStatus::ok, "", ""};
  if (facts.origin != "NVML") {
    health.detail = "not read: the GPUs are known from " + facts.origin + ", not NVML";
    return health;
  }
  for (const auto& problem : resolve::gpu_health_problems(facts.gpus)) {
    const bool refused = problem.verdict == resolve::GpuVerdict::refuse;
    if (refused) health.status = CheckStatus::fail;
    if (!refused && health.status == CheckStatus::ok) health.status = CheckStatus::warn;
    health.detail += (health.detail.empty() ? "" : "; ") + problem.what +
                     (refused ? " (jobs are refused it)" : "");
    if (health.fix.find(problem.fix) == std::string::npos)
      health.fix += (health.fix.empty() ? "" : "; ") + problem.fix;
  }
  if (health.detail.empty()) {
    health.detail = "no GPU lost, no uncorrectable ECC error, no pending or failed memory repair";
  }
  return health;
}

std::vector<CheckResult> host_checks(const run::Surroundings& surroundings,
                                     const resolve::HostFactsOverrides& overrides,
                                     const resolve::Catalog& catalog,
                                     const std::set<std::string>& on_engine) {
  const engine::Endpoint& endpoint = surroundings.endpoint;
  std::vector<CheckResult> checks;
  CheckResult driver{"host driver", CheckStatus::ok, "", ""};
  // The Docker host's, as train and resolve see it (here, or over ssh, or as told).
  const auto found = run::docker_host_facts(endpoint, overrides, catalog, surroundings.env);
  if (!found) {
    driver.status = CheckStatus::fail;
    driver.detail = found.error().message;
    driver.fix = found.error().hint;
    return {driver};
  }
  const resolve::HostFacts& facts = *found;
  if (!facts.driver && endpoint.kind == engine::EndpointKind::tcp) {
    driver.status = CheckStatus::warn;
    driver.detail = "unknown: the Docker host at " + endpoint.display + " is remote";
    driver.fix = "give --driver-version and --gpu-arch for it";
    return {driver};
  }
  if (!facts.driver && endpoint.kind == engine::EndpointKind::ssh) {
    driver.status = CheckStatus::warn;
    driver.detail = "no NVIDIA driver found on the Docker host at " + endpoint.display +
                    " (nvidia-smi there gave nothing)";
    driver.fix = "install the NVIDIA driver there, or give --driver-version and --gpu-arch";
    return {driver};
  }
  if (!facts.driver) {
    driver.status = CheckStatus::warn;
    driver.detail = "no NVIDIA driver found on this host (" + facts.unknown_because + ")";
    driver.fix =
        "on a GPU host, install the NVIDIA driver (nvidia-smi must work); for a remote Docker "
        "host, give --driver-version and --gpu-arch";
    return {driver};
  }
  driver.detail = facts.driver->to_string() + ", supports CUDA " +
                  (facts.cuda_driver ? facts.cuda_driver->to_string() : std::string("unknown")) +
                  " (" + facts.origin + ")";
  checks.push_back(driver);

  CheckResult gpus{"gpus", CheckStatus::ok, "", ""};
  if (facts.gpus.empty()) {
    gpus.status = CheckStatus::warn;
    gpus.detail = "none found";
    gpus.fix = "check nvidia-smi; for a remote host give --gpu-arch per GPU";
  }
  for (const auto& gpu : facts.gpus) {
    if (!gpus.detail.empty()) gpus.detail += "; ";
    gpus.detail +=
        std::to_string(gpu.index) + ": " + (gpu.name.empty() ? std::string("GPU") : gpu.name);
    if (gpu.compute_capability) {
      gpus.detail += " (sm_" + std::to_string(gpu.compute_capability->major()) +
                     std::to_string(gpu.compute_capability->minor());
      if (gpu.memory_bytes > 0) gpus.detail += ", " + format_bytes(gpu.memory_bytes);
      // The brand decides whether CUDA forward compatibility applies (data-center GPUs only).
      if (!gpu.brand.empty()) gpus.detail += ", brand " + gpu.brand;
      gpus.detail += ")";
    }
  }
  checks.push_back(gpus);
  if (!facts.gpus.empty()) checks.push_back(gpu_health_check(facts));
  for (auto& check : image_checks(facts, catalog, on_engine)) checks.push_back(std::move(check));
  return checks;
}

}  // namespace

bool Report::failed() const {
  return std::any_of(checks.begin(), checks.end(),
                     [](const CheckResult& c) { return c.status == CheckStatus::fail; });
}

std::string_view status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::ok:
      return "ok";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
  }
  return "fail";
}

Report examine(const run::Surroundings& surroundings, const resolve::HostFactsOverrides& overrides,
               const resolve::Catalog& catalog) {
  Report report;
  std::set<std::string> on_engine;
  const engine::Endpoint& endpoint = surroundings.endpoint;
  auto client = run::connect(surroundings);
  if (!client) {
    report.checks.push_back(
        {"engine", CheckStatus::fail, client.error().message, client.error().hint});
  } else {
    auto info = client->info();
    auto version = info ? client->version() : Result<engine::EngineVersion>();
    if (!info || !version) {
      const Error& error = info ? version.error() : info.error();
      report.checks.push_back({"engine", CheckStatus::fail, error.message, error.hint});
    } else {
      const run::EngineProfile profile = run::engine_profile(*version, *info);
      report.checks.push_back({"engine", CheckStatus::ok,
                               profile.name() + " (API " + client->api_version().to_string() +
                                   ") at " + endpoint.display,
                               ""});
      // The probes need an image to name; any will do, since nothing runs.
      auto listed = client->any_image();
      const auto image = listed ? *listed : std::nullopt;
      // The path a job asking for every GPU would take, probed.
      jobspec::JobSpec every_gpu;
      every_gpu.gpus = jobspec::GpuAll{};
      const auto cdi_gpus = run::engine_cdi_devices(
          run::kNvidiaCdiKind, profile, endpoint.kind == engine::EndpointKind::unix_socket);
      auto path = run::choose_gpu_path(every_gpu, profile, cdi_gpus);
      CheckResult gpu_check = probe_gpu_path(
          *client, image, path ? *path : run::PlannedGpus{run::GpuDelivery::legacy_hook, {}, ""});
      if (!path && gpu_check.status != CheckStatus::fail) {
        gpu_check.status = CheckStatus::fail;
        gpu_check.detail = path.error().message;
      }
      if (!path) gpu_check.fix = path.error().hint;
      report.checks.push_back(std::move(gpu_check));
      // Only this host's device nodes are in sight, and only where it has NVIDIA's.
      if (endpoint.kind == engine::EndpointKind::unix_socket && path &&
          std::filesystem::exists("/dev/nvidiactl")) {
        report.checks.push_back(nvml_loss_check(info->cgroup_driver, path->delivery,
                                                nvidia_nodes_without_char_links("/dev")));
      }
      if (image)
        report.checks.push_back(probe_training_defaults(*client, *image, surroundings, profile));
      if (profile.rootless) {
        report.checks.push_back(
            {"rootless", CheckStatus::warn,
             profile.name() + " runs rootless" +
                 (profile.product == run::EngineProduct::podman
                      ? ": jobs with \"user\": \"host\" run as you (--userns=keep-id)"
                      : ": jobs with \"user\": \"host\" run as its root, which is you"),
             "a rootless engine cannot grant unlimited locked memory (jobs get its own limit), "
             "and gives GPUs only through CDI"});
      } else {
        report.checks.push_back(
            {"rootless", CheckStatus::ok, profile.name() + " runs as root", ""});
      }
      report.checks.push_back(
          disk_check(*info, endpoint.kind == engine::EndpointKind::unix_socket));
      report.checks.push_back(orphan_check(*client));
      if (auto tags = client->local_image_tags()) on_engine = std::move(*tags);
    }
  }
  for (auto& check : host_checks(surroundings, overrides, catalog, on_engine))
    report.checks.push_back(std::move(check));
  return report;
}

}  // namespace dlrun::doctor
