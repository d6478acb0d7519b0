#include "dlrun/run/image/step_commits.hpp"

#include <nlohmann/json.hpp>

#include "dlrun/engine/demux.hpp"
#include "dlrun/process_owner.hpp"
#include "dlrun/run/plan/labels.hpp"
#include "dlrun/run/plan/plan.hpp"
#include "dlrun/tar.hpp"

namespace dlrun::run {
namespace {

using nlohmann::json;

// The steps' output, demultiplexed into the display; a Ctrl-C there ends the stream.
class StepOutput final : public engine::StreamSink, private engine::FrameSink {
 public:
  explicit StepOutput(BuildDisplay& display) : display_(display) {}
  void on_headers(long /*status*/) override {}
  bool on_body(std::span<const char> bytes) override { return frames_.feed(bytes).has_value(); }
  bool cancelled() override { return display_.cancelled(); }

 private:
  void on_payload(engine::StreamId /*stream*/, std::span<const char> bytes) override {
    display_.on_event({.output = std::string(bytes.data(), bytes.size())});
  }
  BuildDisplay& display_;
  engine::Demultiplexer frames_{*this};
};

// A step's container: the previous image, its process 1 waiting on an open stdin so that the
// step can run beside it. Its Cmd is the step's command, which the commit records as the
// history's "created by", as a Dockerfile's RUN would be. The labels make it a killed dlrun's
// container to `dlrun clean`.
std::string step_container(const std::string& image, const BuildStep& step,
                           const BuildRecipe& recipe) {
  const std::string shown =
      step.action == BuildStep::Action::run ? step.command : "#(dlrun) " + step.instruction;
  const json body = {
      {"Image", image},
      {"Entrypoint", {"/bin/sh", "-c", "read _", "dlrun-build-step"}},
      {"Cmd", {"/bin/sh", "-c", shown}},
      {"OpenStdin", true},
      {"Labels",
       {{std::string(kManagedLabel), "true"},
        {std::string(kJobLabel), std::string(kBuildStepJobName)},
        {std::string(kOwnerLabel), owner_of_this_process()}}},
      {"HostConfig", {{"NetworkMode", recipe.network.empty() ? "default" : recipe.network}}}};
  return body.dump();
}

// What the committed image keeps of the base's config: the container's labels and command are
// the step's, not the image's. The engine copies any field left empty from the container, so
// an empty Cmd cannot be restored: a base without one gets a shell (a job names its command).
std::string committed_config(const BuildStep& step, const BuildRecipe& recipe, bool last) {
  const BaseImage& base = recipe.base;
  json labels = {{std::string(kManagedLabel), ""},
                 {std::string(kJobLabel), ""},
                 {std::string(kOwnerLabel), ""},
                 {std::string(kBuildStepLabel), step.cache_key}};
  if (last) {
    for (const auto& [key, value] : recipe.labels) labels[key] = value;
  }
  return json{{"Entrypoint", base.entrypoint},
              {"Cmd", base.cmd.empty() ? std::vector<std::string>{"/bin/sh"} : base.cmd},
              {"Labels", labels}}
      .dump();
}

// The same as the commit's changes, for Podman, whose Docker API ignores the config and applies
// only these: without them the image would keep the step's entrypoint, and none of the labels
// by which the next run finds it. Podman takes a LABEL's value raw, after its first '='.
std::vector<std::string> committed_changes(const std::string& config) {
  const json parsed = json::parse(config);
  std::vector<std::string> changes = {"ENTRYPOINT " + parsed["Entrypoint"].dump(),
                                      "CMD " + parsed["Cmd"].dump()};
  for (const auto& [key, value] : parsed["Labels"].items())
    changes.push_back("LABEL " + key + "=" + value.get<std::string>());
  return changes;
}

}  // namespace

Result<engine::BuildOutcome> build_by_commits(engine::EngineClient& client,
                                              const BuildRecipe& recipe, bool rebuild,
                                              BuildDisplay& display) {
  std::vector<const BuildStep*> steps;
  for (const auto& step : recipe.steps) {
    if (step.action != BuildStep::Action::none) steps.push_back(&step);
  }
  std::vector<std::string> env;
  env.reserve(recipe.build_args.size());
  for (const auto& [name, value] : recipe.build_args) env.push_back(name + "=" + value);

  std::string image = recipe.base.id;
  using End = engine::BuildOutcome::End;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const BuildStep& step = *steps[i];
    const bool last = i + 1 == steps.size();
    if (display.cancelled()) return engine::BuildOutcome{.end = End::cancelled};
    display.on_event({.output = "Step " + std::to_string(i + 1) + "/" +
                                std::to_string(steps.size()) + " : " + step.instruction + "\n"});
    if (!rebuild && !last) {
      auto cached =
          client.find_image_with_label(std::string(kBuildStepLabel) + "=" + step.cache_key);
      if (!cached) return std::unexpected(cached.error());
      if (*cached) {
        image = **cached;
        continue;
      }
    }
    // Named for the job, so that `docker ps` says what it is.
    const std::string repository =
        recipe.tag.substr(kBuildRepository.size(), recipe.tag.rfind(':') - kBuildRepository.size());
    auto container = client.create_container("dlrun-build-" + repository + "-" + random_suffix(),
                                             step_container(image, step, recipe));
    if (!container) return std::unexpected(container.error());
    // Every way out of the step removes its container.
    struct Removal {
      engine::EngineClient& client;
      const std::string& id;
      ~Removal() { (void)client.remove_container(id); }
    } const removal{client, *container};

    if (auto started = client.start_container(*container); !started) {
      return std::unexpected(started.error());
    }
    if (step.action == BuildStep::Action::copy_requirements) {
      // The path without its leading '/', as the archive's members are relative to "/".
      const std::string file = step.command.substr(1);
      auto copied = client.put_archive(
          *container, "/",
          tar_archive({{.path = file.substr(0, file.rfind('/')), .mode = 0755, .directory = true},
                       {.path = file, .contents = recipe.requirements}}));
      if (!copied) return std::unexpected(copied.error());
    } else {
      StepOutput output(display);
      auto exit_code =
          client.exec_in_container(*container, {"/bin/sh", "-c", step.command}, env, output);
      if (display.signal()) return engine::BuildOutcome{.end = End::cancelled};
      if (!exit_code) return std::unexpected(exit_code.error());
      if (*exit_code != 0) {
        return engine::BuildOutcome{
            .end = End::failed, .error = "returned a non-zero code: " + std::to_string(*exit_code)};
      }
    }
    // A Ctrl-C during the step's copy or between polls: no image, and above all no tag.
    if (display.cancelled()) return engine::BuildOutcome{.end = End::cancelled};
    const std::string config = committed_config(step, recipe, last);
    auto committed = client.commit_container(
        *container, config, "dlrun " + step.said, last ? recipe.tag : "",
        client.identity().podman() ? committed_changes(config) : std::vector<std::string>{});
    if (!committed) return std::unexpected(committed.error());
    image = *committed;
  }
  return engine::BuildOutcome{.end = End::built, .image_id = image};
}

}  // namespace dlrun::run
