#include "build.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/run/commands/train.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kBuildHelp = R"(Examples:
  dlrun build train.json              build the job's image (or find it built) and print its tag
  dlrun build train.json --print      print the Dockerfile dlrun writes; contact nothing
  dlrun build train.json --rebuild    build every step afresh (new package versions)
  TAG=$(dlrun build -q train.json)    in CI: build once, then run many times

The spec's "build" section (apt and pip packages, a requirements file, commands) becomes a
Dockerfile on top of the job's image, which dlrun pulls first as `train` would. It is built
by the daemon's BuildKit where it has it (apt and pip downloads then stay in cache mounts
between builds), else by the classic builder; the build's output streams to stderr. The result is tagged dlrun/NAME:HASH, where HASH covers the base image's id, the
build section and the requirements file's content: while none of them changes, `dlrun train`
and `dlrun build` find the image and build nothing. Steps run as root in the order apt,
requirements, pip, run, so that a changed pip pin rebuilds from the pip step on only.

The build's network: the daemon's default (build.network "default"), "host" (the Docker
host's own network, e.g. a package index on its 127.0.0.1) or "none". Variables in
build.env exist only while building; proxies (https_proxy, …) are never recorded in the
image. Reference: docs/build.md.

Exit codes: 0 built or found (the tag on stdout); 2 bad spec, or no "build" section;
123 a step failed (its output and the step are shown; no tag is left); 125 the engine failed;
130 interrupted (the build is cancelled, no tag is left).)";

}  // namespace

void add_build_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<BuildOptions>();
  CLI::App* build = app.add_subcommand(
      "build", "Build the image of a spec's \"build\" section and print its tag");
  build->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)")->required();
  build->add_flag("--print", options->print,
                  "Print the Dockerfile instead of building; contact nothing");
  build->add_flag("--rebuild", options->rebuild,
                  "Build every step afresh, even when the image was built before");
  build->add_option(
      "--catalog", options->catalog,
      "A catalog file extending the built-in one (in-house images), as data/catalog.json");
  add_host_fact_options(*build, options->host);
  add_output_option(*build, options->output,
                    "one object: {\"spec\", \"tag\", \"base\", \"built\"}");
  build->footer(kBuildHelp);
  build->callback([options, &global, &exit_status] {
    auto result = run_build(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_build(const BuildOptions& options, const GlobalOptions& global) {
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  const run::TrainRequest request{.spec_file = options.spec_file,
                                  .host = options.host,
                                  .catalog = options.catalog,
                                  .pull_display = run::pull_display_mode_for(stderr, global.quiet),
                                  .rebuild = options.rebuild};
  if (options.print) {
    auto planned = run::plan_train(request, *surroundings);
    if (!planned) return std::unexpected(planned.error());
    auto dockerfile = run::build_dockerfile(*planned, surroundings->env);
    if (!dockerfile) return std::unexpected(dockerfile.error());
    std::fputs(dockerfile->c_str(), stdout);
    return exit_code::ok;
  }
  auto built = run::build(request, *surroundings);
  if (!built) return std::unexpected(built.error());
  if (options.output == "json") {
    const nlohmann::ordered_json out{{"spec", options.spec_file},
                                     {"tag", built->tag},
                                     {"base", built->base_image},
                                     {"built", built->built}};
    std::printf("%s\n", json_text(out).c_str());
  } else {
    std::printf("%s\n", built->tag.c_str());
  }
  return exit_code::ok;
}

}  // namespace dlrun::cli
