#include "dlrun/run/plan/gpu_path.hpp"

#include <algorithm>
#include <cctype>

#include "dlrun/text.hpp"
#include "dlrun/version_number.hpp"

namespace dlrun::run {
namespace {

constexpr std::string_view kGenerateSpec =
    "nvidia-ctk cdi generate --output=/var/run/cdi/nvidia.yaml (or NVIDIA's nvidia-cdi-refresh "
    "service, toolkit 1.18 and later)";

std::string cdi_name(std::string_view device) {
  return std::string(kNvidiaCdiKind) + "=" + std::string(device);
}

bool is_index(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// The names that stand for one whole GPU by its index, in index order: what a count takes.
std::vector<std::string> whole_gpus(const std::vector<std::string>& listed) {
  std::vector<std::string> indexes;
  std::copy_if(listed.begin(), listed.end(), std::back_inserter(indexes),
               [](const std::string& name) { return is_index(name) && name.size() <= 9; });
  std::sort(indexes.begin(), indexes.end(),
            [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  return indexes;
}

std::string listing(const std::vector<std::string>& listed) {
  return listed.empty() ? "none" : joined(listed, ", ");
}

// The CDI devices that are the spec's request: by name where the spec lists them, by NVIDIA's
// index names where dlrun cannot read it.
Result<std::vector<std::string>> cdi_devices(
    const jobspec::GpuRequest& gpus, const std::optional<std::vector<std::string>>& listed) {
  return std::visit(
      Overloaded{
          [](jobspec::GpuNone) -> Result<std::vector<std::string>> {
            return std::vector<std::string>{};
          },
          [](jobspec::GpuAll) -> Result<std::vector<std::string>> {
            return std::vector<std::string>{cdi_name("all")};
          },
          [&](const jobspec::GpuCount& count) -> Result<std::vector<std::string>> {
            std::vector<std::string> names;
            if (!listed) {
              for (int i = 0; i < count.count; ++i) names.push_back(cdi_name(std::to_string(i)));
              return names;
            }
            const auto indexes = whole_gpus(*listed);
            if (indexes.size() < static_cast<std::size_t>(count.count)) {  // checked: >= 1
              return fail(ErrorKind::gpu_unavailable,
                          "the job asks for " + std::to_string(count.count) +
                              " GPUs, but NVIDIA's CDI spec lists " +
                              std::to_string(indexes.size()) + " (" + listing(*listed) + ")",
                          "ask for at most " + std::to_string(indexes.size()) +
                              ", or regenerate the spec where GPUs are missing from it: " +
                              std::string(kGenerateSpec));
            }
            const auto wanted = static_cast<std::size_t>(count.count);
            for (std::size_t i = 0; i < wanted; ++i) names.push_back(cdi_name(indexes[i]));
            return names;
          },
          [&](const jobspec::GpuList& list) -> Result<std::vector<std::string>> {
            std::vector<std::string> names;
            for (const auto& id : list.ids) {
              if (listed && std::find(listed->begin(), listed->end(), id) == listed->end()) {
                return fail(ErrorKind::gpu_unavailable,
                            "gpus: NVIDIA's CDI spec has no device \"" + id + "\"; it lists " +
                                listing(*listed),
                            "name one of those (nvidia-smi -L shows the GPUs), or regenerate the "
                            "spec: " +
                                std::string(kGenerateSpec));
              }
              names.push_back(cdi_name(id));
            }
            return names;
          },
      },
      gpus);
}

// Why `engine` takes no CDI device requests, and the fix.
Error no_cdi(const EngineProfile& engine) {
  if (engine.product == EngineProduct::podman) {
    return Error{
        ErrorKind::no_gpu_driver,
        engine.name() +
            " takes no CDI device requests through its Docker API (Podman 5.4 and later "
            "do)",
        "upgrade Podman to 5.4 or later, with NVIDIA's CDI spec: " + std::string(kGenerateSpec)};
  }
  const auto version = engine.version_number();
  if (version && *version < Version({25})) {
    return Error{ErrorKind::no_gpu_driver,
                 engine.name() + " has no CDI (Docker Engine 25 and later have it)",
                 "upgrade Docker Engine, or ask for NVIDIA's hook: \"gpu_path\": \"legacy\" "
                 "(--gpu-path legacy), with the NVIDIA Container Toolkit"};
  }
  return Error{ErrorKind::no_gpu_driver, "CDI is off in " + engine.name(),
               "set \"features\": {\"cdi\": true} in its daemon.json and restart it (Docker "
               "28.2 and later have it on), or ask for NVIDIA's hook: \"gpu_path\": \"legacy\""};
}

PlannedGpus by_cdi(std::vector<std::string> devices, std::string reason) {
  return PlannedGpus{GpuDelivery::cdi, std::move(devices), std::move(reason)};
}

PlannedGpus by_hook(std::string reason) {
  return PlannedGpus{GpuDelivery::legacy_hook, {}, std::move(reason)};
}

}  // namespace

bool takes_cdi_requests(const EngineProfile& engine) {
  if (engine.product == EngineProduct::podman) {
    const auto version = engine.version_number();
    return version && *version >= Version({5, 4});
  }
  // Docker lists where it reads CDI specs only while CDI is on (25 and later).
  return !engine.cdi_spec_dirs.empty();
}

Result<PlannedGpus> choose_gpu_path(const jobspec::JobSpec& spec,
                                    const std::optional<EngineProfile>& engine,
                                    const std::optional<std::vector<std::string>>& listed) {
  if (std::holds_alternative<jobspec::GpuNone>(spec.gpus)) return PlannedGpus{};
  const auto through_cdi = [&](std::string reason) -> Result<PlannedGpus> {
    auto devices = cdi_devices(spec.gpus, listed);
    if (!devices) return std::unexpected(devices.error());
    return by_cdi(std::move(*devices), std::move(reason));
  };
  switch (spec.gpu_path) {
    case jobspec::GpuPath::legacy:
      return by_hook("the spec asks for NVIDIA's hook (gpu_path \"legacy\")");
    case jobspec::GpuPath::cdi:
      if (engine && !takes_cdi_requests(*engine)) return std::unexpected(no_cdi(*engine));
      return through_cdi("the spec asks for CDI devices (gpu_path \"cdi\")");
    case jobspec::GpuPath::automatic:
      break;
  }
  if (!engine) return by_hook("the engine was not asked: NVIDIA's hook, as for Docker");
  // Podman's Docker API drops the hook's device requests: without CDI it has no way at all.
  if (engine->product == EngineProduct::podman && !takes_cdi_requests(*engine)) {
    Error refused = no_cdi(*engine);
    refused.message = "the job asks for GPUs, but " + refused.message;
    return std::unexpected(std::move(refused));
  }
  if (!takes_cdi_requests(*engine)) {
    return by_hook(engine->name() + " takes no CDI device requests: NVIDIA's hook");
  }
  if (engine->product == EngineProduct::podman) {
    return through_cdi(engine->name() + " passes GPUs only as CDI devices");
  }
  if (!listed) {
    return by_hook(engine->name() +
                   " has CDI, but its host's CDI specs are out of dlrun's sight (a remote "
                   "engine): NVIDIA's hook; gpu_path \"cdi\" asks for CDI devices");
  }
  if (listed->empty()) {
    return by_hook(engine->name() + " has CDI, but no CDI spec in " +
                   joined(engine->cdi_spec_dirs, ", ") + " names " + std::string(kNvidiaCdiKind) +
                   " devices: NVIDIA's hook");
  }
  return through_cdi(engine->name() + " has CDI, and NVIDIA's CDI spec lists the GPUs");
}

std::string_view gpu_delivery_name(GpuDelivery delivery) {
  switch (delivery) {
    case GpuDelivery::none:
      return "none";
    case GpuDelivery::legacy_hook:
      return "legacy hook";
    case GpuDelivery::cdi:
      return "CDI";
  }
  return "none";
}

}  // namespace dlrun::run
