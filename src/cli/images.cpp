#include "images.hpp"

#include <cstdio>
#include <vector>

#include "dlrun/jobspec/job_spec.hpp"
#include "dlrun/jobspec/schema.hpp"
#include "dlrun/run/commands/image_report.hpp"
#include "dlrun/run/commands/images.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kImagesHelp = R"(Examples:
  dlrun images                                 every catalog image, judged for this host
  dlrun images --framework pytorch             PyTorch's only
  dlrun images train.json                      the images train.json's "framework" could use
  dlrun images --driver-version 535.104.05 --gpu-arch sm_80
                                               for a host dlrun cannot see
  dlrun images --output json                   with each rejection's message and source

Each image of the catalog (data/catalog.json, extended by --catalog FILE, $DLRUN_CATALOG or
~/.config/dlrun/catalog.json) with what a spec's "framework" can ask for (version, CUDA, Python,
variant, source), whether it fits this host (FITS) and, when it does not, the rules that reject
it (WHY NOT), marked inferred where the deciding fact is one its source only implies:
  driver-below-minor-compat    under the CUDA major's minor-version-compatibility floor
  driver-below-toolkit         under its toolkit's own driver (images FROM nvidia/cuda)
  driver-below-image-minimum   under the minimum its release notes state
  driver-below-ptx-toolkit     a GPU runs its PTX, which only its toolkit's driver compiles
  forward-compat-datacenter-only  forward compatibility would run it, on data-center GPUs only
  gpu-outside-supported        a GPU outside those its release notes support
  gpu-arch-not-compiled        a GPU without kernels in it, nor PTX that compiles for it
  toolkit-cannot-compile       a plain CUDA image whose toolkit cannot target a GPU
LOCAL says whether the engine has it already (under its name or a registry mirror's); "-" when
the engine cannot be asked (the rest still holds). Without a driver or GPUs (a host without
NVIDIA hardware, a remote engine without --driver-version/--gpu-arch), what is unknown is not
checked: the first line says what the images were judged for. `dlrun resolve SPEC --explain`
shows which image a spec gets, and the source of each rule's fact.

Exit codes: 0 listed; 2 bad command line, an invalid spec, or a spec with its own "image".)";

}  // namespace

void add_images_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ImagesOptions>();
  CLI::App* command = app.add_subcommand(
      "images", "List the catalog's images: which fit this host, why not, which are local");
  command->add_option("spec", options->spec_file,
                      "Job spec file (JSON, docs/spec.md): only what its framework could use");
  const auto names = jobspec::spec_words(jobspec::SpecWords::framework_name);
  const std::vector<std::string> frameworks(names.begin(), names.end());
  command->add_option("--framework", options->framework, "Only this framework's images")
      ->check(CLI::IsMember(frameworks));
  add_output_option(*command, options->output,
                    "{host, engine_asked, images: [{image, …, fits, on_engine, rejections}]}");
  command->add_option(
      "--catalog", options->catalog,
      "A catalog file extending the built-in one (in-house images), as data/catalog.json");
  add_host_fact_options(*command, options->host);
  command->footer(kImagesHelp);
  command->callback([options, &global, &exit_status] {
    auto result = run_images(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_images(const ImagesOptions& options, const GlobalOptions& global) {
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  run::ImagesRequest request{.spec_file = std::nullopt,
                             .framework = options.framework,
                             .host = options.host,
                             .catalog = options.catalog};
  if (options.spec_file) request.spec_file = *options.spec_file;
  auto list = run::list_images(request, *surroundings);
  if (!list) return std::unexpected(list.error());
  const std::string out =
      options.output == "json" ? run::image_list_json(*list) : run::image_table(*list);
  std::fputs(out.c_str(), stdout);
  return exit_code::ok;
}

}  // namespace dlrun::cli
