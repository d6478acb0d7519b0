#include "resolve.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/user_config.hpp"
#include "dlrun/run/docker_host.hpp"
#include "dlrun/run/image_choice.hpp"
#include "dlrun/run/train.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kResolveHelp = R"(Examples:
  dlrun resolve train.json                     the image train.json would run, and why
  dlrun resolve train.json --explain           every candidate, and why each was rejected
  dlrun resolve train.json --output json       for scripts
  dlrun resolve train.json --driver-version 535.104.05 --gpu-arch sm_80 --gpu-arch sm_80
                                               for a host dlrun cannot see

For a spec with "framework" (and no "image"), dlrun picks the image that runs on this host:
its NVIDIA driver (NVML, /proc, or --driver-version) and every GPU's architecture (SASS in the
image, or PTX the driver can compile; for "cuda", a toolkit that can compile for it). CUDA
forward compatibility counts only for data-center GPUs on the branches an image names.
Ranked: already on the engine (no pull), official before NGC, newest framework, newest CUDA,
runtime before devel. The data: data/catalog.json, sourced row by row (fields a source only
implies are marked inferred, and the reason says so),
extended by --catalog FILE, else $DLRUN_CATALOG, else ~/.config/dlrun/catalog.json (same
format, docs/catalog.md; a row with the same reference replaces the built-in one).
A "registry_mirror" in the spec or ~/.config/dlrun/config.json is shown as where the image
will be pulled from; an image already on the engine under the mirror's name ranks first.

Exit codes: 0 an image was chosen; 2 the spec is invalid; 125 no image fits (the error says
what would).)";

}  // namespace

void add_resolve_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ResolveOptions>();
  CLI::App* command =
      app.add_subcommand("resolve", "Show the image a spec resolves to on this host, and why");
  command->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)")->required();
  command->add_flag("--explain", options->explain,
                    "List every candidate and why each was rejected");
  command->add_option("--output", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option(
      "--catalog", options->catalog,
      "A catalog file extending the built-in one (in-house images), as data/catalog.json");
  add_host_fact_options(*command, options->host);
  command->footer(kResolveHelp);
  command->callback([options, &global, &exit_status] {
    auto result = run_resolve(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_resolve(const ResolveOptions& options, const GlobalOptions& global) {
  const EnvLookup env = process_environment();
  auto loaded = jobspec::load_job_spec(options.spec_file, env);
  if (!loaded) return std::unexpected(loaded.error());
  const jobspec::JobSpec& job = loaded->spec;
  if (!job.image.empty() || !job.framework) {
    if (options.output == "json") {
      std::printf(
          "%s\n",
          nlohmann::json{{"image", job.image}, {"reason", "given explicitly"}}.dump(2).c_str());
    } else {
      std::printf("%s: given explicitly in the spec\n", job.image.c_str());
    }
    return exit_code::ok;
  }
  auto endpoint = engine::endpoint_from_environment(global.host, global.context, env);
  if (!endpoint) return std::unexpected(endpoint.error());
  const run::Surroundings surroundings{.endpoint = *endpoint, .env = env};
  auto user_config = jobspec::load_user_config(surroundings.env);
  if (!user_config) return std::unexpected(user_config.error());
  const engine::RegistryMirrors mirrors = run::registry_mirrors(*user_config, job);
  auto catalog = resolve::load_catalog(options.catalog, env);
  if (!catalog) return std::unexpected(catalog.error());
  auto facts = run::docker_host_facts(*endpoint, options.host, *catalog, env);
  if (!facts) return std::unexpected(facts.error());

  // The engine only ranks: without it, resolution still works, just without local images.
  auto client = run::connect(surroundings);
  if (!client)
    spdlog::warn("{} (images already on the engine are not ranked first)", client.error().message);
  auto resolved =
      run::choose_image(*job.framework, *facts, *catalog, mirrors, client ? &*client : nullptr);
  if (!resolved) return std::unexpected(resolved.error());
  // Where it comes from, when a mirror stands in for its registry (air-gapped sites).
  std::optional<std::string> pulled_from;
  if (auto ref = engine::parse_image_ref(resolved->chosen->reference)) {
    const auto mirrored = engine::apply_mirror(*ref, mirrors);
    if (mirrored != *ref) pulled_from = mirrored.full();
  }

  if (options.output == "json") {
    nlohmann::ordered_json out = {{"image", resolved->chosen->reference},
                                  {"reason", resolved->reason}};
    out["pull_from"] = pulled_from ? nlohmann::ordered_json(*pulled_from) : nullptr;
    out["candidates"] = nlohmann::ordered_json::array();
    for (const auto& verdict : resolved->considered) {
      out["candidates"].push_back({{"image", verdict.image->reference},
                                   {"fits", verdict.rejections.empty()},
                                   {"on_engine", verdict.present_locally},
                                   {"rejections", verdict.rejections},
                                   {"notes", verdict.notes}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return exit_code::ok;
  }
  std::printf("%s: %s\n", resolved->chosen->reference.c_str(), resolved->reason.c_str());
  if (pulled_from) std::printf("pulled from %s (registry mirror)\n", pulled_from->c_str());
  if (options.explain) {
    std::printf("\ncandidates, best first:\n");
    for (const auto& verdict : resolved->considered) {
      std::string reasons;
      for (const auto& reason : verdict.rejections)
        reasons += (reasons.empty() ? "" : "; ") + reason;
      std::printf("  %-4s %s%s%s\n", verdict.rejections.empty() ? "fits" : "no",
                  verdict.image->reference.c_str(),
                  verdict.present_locally ? " (on the engine)" : "",
                  reasons.empty() ? "" : (": " + reasons).c_str());
      for (const auto& note : verdict.notes) std::printf("         (%s)\n", note.c_str());
    }
  }
  return exit_code::ok;
}

}  // namespace dlrun::cli
