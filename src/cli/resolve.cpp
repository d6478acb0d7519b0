#include "resolve.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/run/resolution.hpp"

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
  add_output_option(*command, options->output, "{image, reason, candidates}");
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
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  auto resolved = run::resolve_spec_image(
      {.spec_file = options.spec_file, .host = options.host, .catalog = options.catalog},
      *surroundings);
  if (!resolved) return std::unexpected(resolved.error());

  if (options.output == "json") {
    nlohmann::ordered_json out = {
        {"image", resolved->image}, {"reason", resolved->reason}, {"built_on", resolved->built_on}};
    if (!resolved->explicit_image) {
      out["pull_from"] =
          resolved->pull_from ? nlohmann::ordered_json(*resolved->pull_from) : nullptr;
      out["candidates"] = nlohmann::ordered_json::array();
      for (const auto& candidate : resolved->candidates) {
        out["candidates"].push_back({{"image", candidate.image},
                                     {"fits", candidate.fits},
                                     {"on_engine", candidate.on_engine},
                                     {"rejections", candidate.rejections},
                                     {"notes", candidate.notes}});
      }
    }
    std::printf("%s\n", json_text(out).c_str());
    return exit_code::ok;
  }
  const auto say_built_on = [&] {
    if (!resolved->built_on) return;
    std::printf(
        "the job runs in its own image, built on this one from the spec's \"build\" section "
        "(`dlrun build --print` shows how)\n");
  };
  if (resolved->explicit_image) {
    std::printf("%s: given explicitly in the spec\n", resolved->image.c_str());
    say_built_on();
    return exit_code::ok;
  }
  std::printf("%s: %s\n", resolved->image.c_str(), resolved->reason.c_str());
  if (resolved->pull_from)
    std::printf("pulled from %s (registry mirror)\n", resolved->pull_from->c_str());
  say_built_on();
  if (options.explain) {
    std::printf("\ncandidates, best first:\n");
    for (const auto& candidate : resolved->candidates) {
      std::string reasons;
      for (const auto& reason : candidate.rejections)
        reasons += (reasons.empty() ? "" : "; ") + reason;
      std::printf("  %-4s %s%s%s\n", candidate.fits ? "fits" : "no", candidate.image.c_str(),
                  candidate.on_engine ? " (on the engine)" : "",
                  reasons.empty() ? "" : (": " + reasons).c_str());
      for (const auto& note : candidate.notes) std::printf("         (%s)\n", note.c_str());
    }
  }
  return exit_code::ok;
}

}  // namespace dlrun::cli
