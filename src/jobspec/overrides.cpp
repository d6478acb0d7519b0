#include "dlrun/jobspec/overrides.hpp"

#include <algorithm>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/jobspec/units.hpp"
#include "dlrun/shell_quote.hpp"

namespace dlrun::jobspec {

Result<void> apply_overrides(JobSpec& spec, const Overrides& overrides) {
  if (overrides.name) {
    if (!is_valid_job_name(*overrides.name)) {
      return fail(ErrorKind::usage, "--name \"" + *overrides.name + "\" is not a valid job name",
                  "use 1-63 letters, digits, '_', '.', '-', starting with a letter or digit");
    }
    spec.name = *overrides.name;
  }
  if (overrides.image) {
    if (overrides.image->empty() || overrides.image->find(' ') != std::string::npos) {
      return fail(ErrorKind::usage,
                  "--image \"" + *overrides.image + "\" is not an image reference",
                  "write [registry/]repository[:tag|@digest]");
    }
    spec.image = *overrides.image;
  }
  if (overrides.gpus) {
    auto gpus = parse_gpu_flag(*overrides.gpus);
    if (!gpus) {
      return fail(ErrorKind::usage, "--gpus: " + gpus.error(),
                  "use --gpus all, a count (--gpus 2), or indexes/UUIDs (--gpus 0,2)");
    }
    spec.gpus = *gpus;
  }
  if (overrides.timeout) {
    auto timeout = parse_duration(*overrides.timeout);
    if (!timeout) {
      return fail(ErrorKind::usage, "--timeout \"" + *overrides.timeout + "\" is not a duration",
                  "use units d, h, m, s, largest first: --timeout 6h, --timeout 1h30m");
    }
    spec.timeout = timeout;
  }
  for (const auto& assignment : overrides.env) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(ErrorKind::usage, "--env \"" + assignment + "\" is not KEY=VALUE",
                  "write --env EPOCHS=3; for secrets use {\"from_env\": …} in the spec so they are "
                  "never on a command line");
    }
    const std::string name = assignment.substr(0, equals);
    if (name == "NVIDIA_VISIBLE_DEVICES" || name == "CUDA_VISIBLE_DEVICES") {
      return fail(ErrorKind::usage, "--env " + name + " is set by dlrun from the GPU request",
                  "use --gpus instead");
    }
    std::erase_if(spec.env, [&](const EnvVar& var) { return var.name == name; });
    spec.env.push_back({name, LiteralValue{assignment.substr(equals + 1)}});
  }
  if (overrides.pull) {
    if (*overrides.pull == "missing")
      spec.pull = PullPolicy::missing;
    else if (*overrides.pull == "always")
      spec.pull = PullPolicy::always;
    else if (*overrides.pull == "never")
      spec.pull = PullPolicy::never;
    else
      return fail(ErrorKind::usage, "--pull \"" + *overrides.pull + "\" is not a pull policy",
                  "use --pull missing (the default), always, or never");
  }
  for (const auto& pair : overrides.registry_mirrors) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size() ||
        pair.find("://") != std::string::npos) {
      return fail(ErrorKind::usage, "--registry-mirror \"" + pair + "\" is not REGISTRY=MIRROR",
                  "write --registry-mirror docker.io=mirror.example:5000 (hosts, no scheme)");
    }
    spec.registry_mirror[pair.substr(0, equals)] = pair.substr(equals + 1);
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
