#include "show.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/run/job/run_record.hpp"

namespace dlrun::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kShowHelp = R"(Examples:
  dlrun show outputs/resnet              the record of the job whose outputs are there
  dlrun show outputs/resnet/dlrun-run.json --output json

Every job with "outputs" leaves dlrun-run.json there when it ends: the spec as written (its
secrets only named) and the command line's changes, the image by id and registry digest (and
what a built image was built from), the engine, the host's driver and the job's GPUs, the
git commit of each mounted work tree (and whether it had uncommitted changes), the start and
end, every attempt and the exit. This prints it for people; --output json prints the record
itself (its schema: docs/dlrun-run.schema.json; docs/run-record.md).

Exit codes: 0; 2 no record there, or a file that is not one.)";

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.is_null() ? "-" : value.dump();
}

// The record's fields, one line each, as `show` prints them.
void print_record(const Json& record) {
  const Json& exit_code = record["exit_code"];
  const auto attempts = record["attempts"].size();
  std::printf(
      "job %s: %s", text_of(record["job"]).c_str(),
      record["reason"].is_null() ? "running (or left running)" : text_of(record["reason"]).c_str());
  if (!exit_code.is_null()) std::printf(" (exit %d)", exit_code.get<int>());
  if (attempts > 1) std::printf(" after %zu attempts", attempts);
  std::printf("\n  ran      %s to %s\n", text_of(record["started"]).c_str(),
              text_of(record["ended"]).c_str());
  const Json& spec = record["spec"];
  std::printf("  spec     %s (%s)", text_of(spec["file"]).c_str(), text_of(spec["digest"]).c_str());
  if (!spec["overrides"].empty()) std::printf(", changed by %s", spec["overrides"].dump().c_str());
  const Json& image = record["image"];
  std::printf("\n  image    %s (%s)\n", text_of(image["name"]).c_str(),
              text_of(image["id"]).c_str());
  for (const auto& digest : image["digests"])
    std::printf("           %s\n", text_of(digest).c_str());
  if (image["build"].is_object()) {
    for (const auto& [key, value] : image["build"].items())
      std::printf("  build    %s: %s\n", key.c_str(), text_of(value).c_str());
  }
  const Json& engine = record["engine"];
  std::printf("  engine   %s (API %s) at %s\n", text_of(engine["name"]).c_str(),
              text_of(engine["api"]).c_str(), text_of(engine["address"]).c_str());
  std::printf("  host     driver %s, CUDA %s\n", text_of(record["host"]["driver"]).c_str(),
              text_of(record["host"]["cuda"]).c_str());
  for (const auto& gpu : record["gpus"]) {
    std::printf("  gpu %-4d %s (%s, %s)\n", gpu["index"].get<int>(), text_of(gpu["name"]).c_str(),
                text_of(gpu["architecture"]).c_str(), text_of(gpu["uuid"]).c_str());
  }
  for (const auto& code : record["code"]) {
    std::printf("  code     %s: %s at %s%s\n", text_of(code["mount"]).c_str(),
                text_of(code["source"]).c_str(), text_of(code["commit"]).c_str(),
                code["dirty"].get<bool>() ? ", with uncommitted changes" : "");
  }
  for (const auto& attempt : record["attempts"]) {
    std::printf("  attempt %d: %s (exit %d) in %s, %.0f s", attempt["attempt"].get<int>(),
                text_of(attempt["reason"]).c_str(), attempt["exit_code"].get<int>(),
                text_of(attempt["container"]).c_str(), attempt["seconds"].get<double>());
    if (!attempt["resume_from"].is_null())
      std::printf(", resumed from %s", text_of(attempt["resume_from"]).c_str());
    if (attempt["gpu_failure"].is_object())
      std::printf(", GPU failure %s", text_of(attempt["gpu_failure"]["id"]).c_str());
    if (!attempt["retried_for"].is_null())
      std::printf("; retried for %s", text_of(attempt["retried_for"]).c_str());
    std::printf("\n");
  }
}

struct ShowOptions {
  std::string path;
  std::string output = "text";
};

Result<int> run_show(const ShowOptions& options) {
  std::filesystem::path file = options.path;
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) file /= run::kRunRecordFile;
  const std::ifstream in(file);
  if (!in) {
    return fail(ErrorKind::usage, "no run record at " + file.string(),
                "give a job's outputs directory (it holds dlrun-run.json once the job has "
                "ended), or the file itself");
  }
  std::stringstream text;
  text << in.rdbuf();
  const Json record = Json::parse(text.str(), nullptr, false);
  if (record.is_discarded() || !record.is_object() || !record.contains("record") ||
      record["record"] != run::kRunRecordFormat) {
    return fail(ErrorKind::usage, file.string() + " is not a dlrun run record (format 1)",
                "dlrun writes dlrun-run.json into a job's outputs; docs/run-record.md");
  }
  if (options.output == "json") {
    std::printf("%s\n", record.dump(2).c_str());
    return exit_code::ok;
  }
  try {
    print_record(record);
  } catch (const nlohmann::json::exception&) {
    return fail(ErrorKind::usage, file.string() + " is not a whole dlrun run record",
                "compare it with docs/dlrun-run.schema.json");
  }
  return exit_code::ok;
}

}  // namespace

void add_show_command(CLI::App& app, int& exit_status) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* show =
      app.add_subcommand("show", "Show what a job ran: its run record (dlrun-run.json)");
  show->add_option("outputs", options->path, "The job's outputs directory, or its dlrun-run.json")
      ->required();
  add_output_option(*show, options->output, "the record itself (docs/dlrun-run.schema.json)");
  show->footer(kShowHelp);
  show->callback([options, &exit_status] {
    auto shown = run_show(*options);
    exit_status = shown ? *shown : report(shown.error());
  });
}

}  // namespace dlrun::cli
