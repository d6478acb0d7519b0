#include "resolve.hpp"

#include <cstdio>

#include "dlrun/run/commands/image_report.hpp"
#include "dlrun/run/commands/resolution.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kResolveHelp = R"(Examples:
  dlrun resolve train.json                     the image train.json would run, and why
  dlrun resolve train.json --explain           every candidate: the rule that rejected it, and
                                               the source of the fact it rests on
  dlrun resolve train.json --output json       for scripts
  dlrun resolve train.json --driver-version 535.104.05 --gpu-arch sm_80 --gpu-arch sm_80
                                               for a host dlrun cannot see

For a spec with "framework" (and no "image"), dlrun picks the image that runs on this host:
its NVIDIA driver (NVML, /proc, or --driver-version) and every GPU's architecture (SASS in the
image, or PTX the driver can compile; for "cuda", a toolkit that can compile for it). CUDA
forward compatibility counts only for data-center GPUs on the branches an image names.
Ranked: already on the engine (no pull), official before NGC, newest framework, all facts
stated before any inferred, newest CUDA, runtime before devel, newer NGC month. The data:
data/catalog.json, sourced row by row (fields a source only implies are marked inferred, and
the reason says so),
extended by --catalog FILE, else $DLRUN_CATALOG, else ~/.config/dlrun/catalog.json (same
format, docs/catalog.md; a row with the same reference replaces the built-in one).
A "registry_mirror" in the spec or ~/.config/dlrun/config.json is shown as where the image
will be pulled from; an image already on the engine under the mirror's name ranks first.

`dlrun images train.json` lists the images the spec could ask for, as a table.

Exit codes: 0 an image was chosen; 2 the spec is invalid; 125 no image fits (the error says
what would).)";

}  // namespace

void add_resolve_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ResolveOptions>();
  CLI::App* command =
      app.add_subcommand("resolve", "Show the image a spec resolves to on this host, and why");
  command->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)")->required();
  command->add_flag("--explain", options->explain,
                    "List every candidate, the rule that rejected it and that rule's source");
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

  const auto detail = options.explain ? run::ResolveDetail::explain : run::ResolveDetail::brief;
  const std::string out = options.output == "json" ? run::resolution_json(*resolved)
                                                   : run::resolution_text(*resolved, detail);
  std::fputs(out.c_str(), stdout);
  return exit_code::ok;
}

}  // namespace dlrun::cli
