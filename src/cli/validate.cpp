#include "validate.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/engine/endpoint.hpp"
#include "dlrun/jobspec/schema.hpp"
#include "dlrun/run/commands/train.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kValidateHelp = R"(Examples:
  dlrun validate train.json          check a spec before committing it
  dlrun validate specs/*.json        (one at a time; exit status says if it is valid)

Checks everything `dlrun train` checks before it contacts the engine: JSON syntax (with
line:column), unknown fields (with a did-you-mean), types, sizes and durations, that every
mount source exists and none exposes the host. Prints nothing but "ok" lines on success.

--output json prints one object: {"spec", "valid", "job", "image", "problems"}, each problem
{"path", "message", "hint"} (path "" for one that is not a field's, such as an unreadable file).

Exit codes: 0 valid; 2 invalid (every problem is listed, with its field path and a hint).)";

}  // namespace

void add_schema_command(CLI::App& app, int& exit_status) {
  CLI::App* schema =
      app.add_subcommand("schema", "Print the job spec's JSON Schema, for editors and CI");
  schema->footer(R"(Examples:
  dlrun schema > dlrun.schema.json     then point your editor at it (docs/editors.md)
  dlrun schema | python3 -c 'import json, sys; json.load(sys.stdin)'

JSON Schema draft-07, the same table dlrun's own reader takes its fields from. A spec may
name it in "$schema" (dlrun ignores that key). It checks shapes and types; what only the
host can tell (a mount source that exists, a size below Docker's minimum) is for
`dlrun validate`.
Exit codes: 0.)");
  schema->callback([&exit_status] {
    std::fputs(std::string(jobspec::spec_schema()).c_str(), stdout);
    exit_status = exit_code::ok;
  });
}

void add_validate_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* validate = app.add_subcommand("validate", "Check a job spec without running it");
  validate->add_option("spec", options->spec_file, "Job spec file (JSON, docs/spec.md)")
      ->required();
  validate->add_flag("--allow-unsafe-mounts", options->allow_unsafe_mounts,
                     "Accept mounts of /, system directories or the Docker socket");
  add_output_option(*validate, options->output, "one object with every problem");
  validate->footer(kValidateHelp);
  validate->callback([options, &global, &exit_status] {
    auto result = run_validate(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_validate(const ValidateOptions& options, const GlobalOptions& global) {
  // Without a daemon address that can be read, the paths are checked here.
  auto endpoint = engine::endpoint_from_environment(global.host, global.context);
  auto job = run::check_job(
      options.spec_file, {},
      options.allow_unsafe_mounts ? run::UnsafeMounts::allow : run::UnsafeMounts::refuse,
      endpoint ? run::daemon_host(*endpoint) : run::DaemonHost{}, process_environment());
  if (options.output == "json") {
    nlohmann::ordered_json out{{"spec", options.spec_file}, {"valid", job.has_value()}};
    out["job"] = job ? nlohmann::ordered_json(job->name) : nullptr;
    out["image"] = job && !job->image.empty() ? nlohmann::ordered_json(job->image) : nullptr;
    out["problems"] = nlohmann::ordered_json::array();
    if (!job) {
      const Error& error = job.error();
      if (error.details.empty()) {
        out["problems"].push_back({{"path", ""}, {"message", error.message}, {"hint", error.hint}});
      }
      for (const auto& detail : error.details) {
        out["problems"].push_back(
            {{"path", detail.path}, {"message", detail.message}, {"hint", detail.hint}});
      }
    }
    std::printf("%s\n", json_text(out).c_str());
    return job ? exit_code::ok : exit_code_for(job.error().kind);
  }
  if (!job) return std::unexpected(job.error());
  // A framework spec's image depends on the host it runs on: name what will be resolved.
  const auto& framework = job->framework;
  const std::string image = job->image.empty() && framework
                                ? "image resolved at run time from framework " + framework->name +
                                      " (dlrun resolve shows which)"
                                : "image " + job->image;
  std::printf("%s: ok (job %s, %s)\n", options.spec_file.c_str(), job->name.c_str(), image.c_str());
  return exit_code::ok;
}

}  // namespace dlrun::cli
