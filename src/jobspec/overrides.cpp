#include "dlrun/jobspec/overrides.hpp"

#include <algorithm>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/jobspec/parse.hpp"
#include "dlrun/shell_quote.hpp"

namespace dlrun::jobspec {

namespace {

// A flag's value refused by its field's validator: the same words as the spec's JSON gets.
std::unexpected<Error> refused(std::string_view flag, const FieldProblem& problem) {
  return fail(ErrorKind::usage, std::string(flag) + " " + problem.message, problem.hint);
}

}  // namespace

Result<void> apply_overrides(JobSpec& spec, const Overrides& overrides) {
  if (overrides.name) {
    if (auto problem = check_job_name(*overrides.name)) return refused("--name", *problem);
    spec.name = *overrides.name;
  }
  if (overrides.image) {
    if (auto problem = check_image_reference(*overrides.image)) return refused("--image", *problem);
    spec.image = *overrides.image;
  }
  if (overrides.gpus) {
    // The flag's own syntax ("0,2") differs from the spec's list, as docker run --gpus does.
    auto gpus = parse_gpu_flag(*overrides.gpus);
    if (!gpus) {
      return fail(ErrorKind::usage, "--gpus: " + gpus.error(),
                  "use --gpus all, a count (--gpus 2), or indexes/UUIDs (--gpus 0,2)");
    }
    spec.gpus = *gpus;
  }
  if (overrides.timeout) {
    auto timeout = read_duration(*overrides.timeout);
    if (!timeout) return refused("--timeout", timeout.error());
    spec.timeout = *timeout;
  }
  if (overrides.attempts) {
    if (*overrides.attempts < 1 || *overrides.attempts > kMaxAttempts) {
      return fail(
          ErrorKind::usage,
          "--attempts " + std::to_string(*overrides.attempts) + " is not a number of attempts",
          "give 1 to 100 attempts in all, the first included, e.g. --attempts 3");
    }
    if (!spec.retry) spec.retry.emplace();
    spec.retry->attempts = *overrides.attempts;
  }
  for (const auto& assignment : overrides.env) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(ErrorKind::usage, "--env \"" + assignment + "\" is not KEY=VALUE",
                  "write --env EPOCHS=3; for secrets use {\"from_env\": …} in the spec so they are "
                  "never on a command line");
    }
    const std::string name = assignment.substr(0, equals);
    if (auto problem = check_env_name(name)) return refused("--env", *problem);
    std::erase_if(spec.env, [&](const EnvVar& var) { return var.name == name; });
    spec.env.push_back({name, LiteralValue{assignment.substr(equals + 1)}});
  }
  if (overrides.gpu_path) {
    auto path = parse_gpu_path(*overrides.gpu_path);
    if (!path) return refused("--gpu-path", path.error());
    spec.gpu_path = *path;
  }
  if (overrides.pull) {
    auto pull = read_pull_policy(*overrides.pull);
    if (!pull) return refused("--pull", pull.error());
    spec.pull = *pull;
  }
  for (const auto& pair : overrides.registry_mirrors) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos) {
      return fail(ErrorKind::usage, "--registry-mirror \"" + pair + "\" is not REGISTRY=MIRROR",
                  "write --registry-mirror docker.io=mirror.example:5000 (hosts, no scheme)");
    }
    const std::string registry = pair.substr(0, equals);
    const std::string mirror = pair.substr(equals + 1);
    if (auto problem = check_registry_mirror(registry, mirror)) {
      return refused("--registry-mirror", *problem);
    }
    spec.registry_mirror[registry] = mirror;
  }
  if (!overrides.extra_args.empty()) {
    if (auto* argv = std::get_if<CommandArgv>(&spec.command)) {
      argv->argv.insert(argv->argv.end(), overrides.extra_args.begin(), overrides.extra_args.end());
    } else if (auto* shell = std::get_if<CommandShell>(&spec.command)) {
      for (const auto& arg : overrides.extra_args) shell->script += " " + shell_quote(arg);
    } else {
      spec.command = CommandArgv{overrides.extra_args};  // as `docker run IMAGE ARGS…` replaces CMD
    }
  }
  return {};
}

}  // namespace dlrun::jobspec
