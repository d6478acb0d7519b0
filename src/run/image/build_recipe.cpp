#include "dlrun/run/image/build_recipe.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/jobspec/fields.hpp"
#include "dlrun/run/plan/labels.hpp"
#include "dlrun/sha256.hpp"
#include "dlrun/shell_quote.hpp"
#include "dlrun/tar.hpp"
#include "dlrun/text.hpp"

namespace dlrun::run {
namespace {

constexpr std::string_view kRequirementsInImage = "/tmp/dlrun-build/requirements.txt";

// The steps say plainly when the base cannot do what the section asks, before the package
// manager's own, less helpful, error.
constexpr std::string_view kNeedsApt =
    "command -v apt-get >/dev/null 2>&1 || { echo 'dlrun: the base image has no apt-get: "
    "build.apt needs a Debian or Ubuntu based image' >&2; exit 1; }";
constexpr std::string_view kNeedsPip =
    "python3 -m pip --version >/dev/null 2>&1 || { echo 'dlrun: the base image has no pip for "
    "python3: install python3-pip with build.apt, or use an image with pip' >&2; exit 1; }";
// Debian's own Python refuses pip installs outside a virtual environment (PEP 668); an image
// made for one job is the place where that is right. Older pips ignore the variable.
constexpr std::string_view kPipEnvironment =
    "PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore";

std::string quoted_words(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) {
    line += ' ';
    line += shell_quote(word);
  }
  return line;
}

// With BuildKit, downloads live in cache mounts, outside every layer and kept between builds: a
// changed pin downloads only what changed. apt's are moved off its default directories, which
// Debian's images empty after every install (/etc/apt/apt.conf.d/docker-clean).
constexpr std::string_view kAptCache = "/var/cache/dlrun-apt";
constexpr std::string_view kPipCache = "/root/.cache/dlrun-pip";

std::string apt_step(const std::vector<std::string>& packages, BuildFlavor flavor) {
  if (flavor == BuildFlavor::classic) {
    return "RUN " + std::string(kNeedsApt) +
           " && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
           "--no-install-recommends" +
           quoted_words(packages) + " && rm -rf /var/lib/apt/lists/*";
  }
  const std::string cache(kAptCache);
  const std::string options =
      " -o Dir::Cache::archives=" + cache + "/archives -o Dir::State::lists=" + cache + "/lists";
  return "RUN --mount=type=cache,target=" + cache + ",sharing=locked " + std::string(kNeedsApt) +
         " && mkdir -p " + cache + "/archives/partial " + cache + "/lists/partial && apt-get" +
         options + " update && DEBIAN_FRONTEND=noninteractive apt-get" + options +
         " install -y --no-install-recommends" + quoted_words(packages);
}

std::string pip_step(const std::string& arguments, BuildFlavor flavor) {
  if (flavor == BuildFlavor::classic) {
    return "RUN " + std::string(kNeedsPip) + " && " + std::string(kPipEnvironment) +
           " python3 -m pip install --no-cache-dir --disable-pip-version-check" + arguments;
  }
  return "RUN --mount=type=cache,target=" + std::string(kPipCache) + " " + std::string(kNeedsPip) +
         " && " + std::string(kPipEnvironment) + " PIP_CACHE_DIR=" + std::string(kPipCache) +
         " python3 -m pip install --disable-pip-version-check" + arguments;
}

Result<std::string> read_requirements(const std::filesystem::path& file) {
  const std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::usage,
                "build.requirements: cannot read " + file.string() + ": " +
                    (std::filesystem::exists(file) ? "permission denied" : "no such file"),
                "the path is relative to the spec file's directory; check it and its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// True when a variable the builder would write into the history comes from the host: a secret
// the steps need, which the Dockerfile cannot carry.
bool has_secret_variable(const jobspec::BuildSection& build) {
  return std::ranges::any_of(build.env, [](const jobspec::EnvVar& variable) {
    return std::holds_alternative<jobspec::FromHostEnv>(variable.value) &&
           !jobspec::is_build_proxy_variable(variable.name);
  });
}

}  // namespace

std::string build_repository(std::string_view job_name) {
  std::string repository;
  for (const char c : job_name) {
    const auto letter = static_cast<unsigned char>(c);
    if (std::isalnum(letter)) {
      repository += static_cast<char>(std::tolower(letter));
    } else if (!repository.empty() && repository.back() != '-') {
      repository += '-';
    }
  }
  while (!repository.empty() && repository.back() == '-') repository.pop_back();
  return repository.empty() ? "job" : repository;
}

Result<BuildRecipe> make_build_recipe(const jobspec::BuildSection& build,
                                      const std::string& job_name, const BaseImage& base,
                                      const EnvLookup& env, BuildFlavor flavor) {
  BuildRecipe recipe;
  recipe.base = base;
  recipe.commit_steps = has_secret_variable(build);
  // Its steps run as containers, without BuildKit's cache mounts.
  if (recipe.commit_steps) flavor = BuildFlavor::classic;
  static constexpr std::array<std::string_view, 3> kNetworks{"", "host", "none"};
  recipe.network = kNetworks[static_cast<std::size_t>(build.network)];

  std::string file;
  std::string hashed_env;
  std::string requirements;
  // What a step's result depends on: the base, the steps up to it, the files they copied, the
  // variables' names (and literal values), the network.
  const auto step_key = [&] {
    return sha256_digest("dlrun step 1\n" + base.id + "\n" + file + "\nrequirements\n" +
                         requirements + "\nenv\n" + hashed_env + "network " + recipe.network)
        .substr(std::string_view("sha256:").size());
  };
  const auto instruction = [&](const std::string& line, std::string said,
                               BuildStep::Action action = BuildStep::Action::none) {
    file += line + "\n";
    BuildStep step{.instruction = line, .said = std::move(said), .action = action};
    if (action == BuildStep::Action::run)
      step.command = line.substr(std::string_view("RUN ").size());
    if (action == BuildStep::Action::copy_requirements) step.command = kRequirementsInImage;
    if (action != BuildStep::Action::none) step.cache_key = step_key();
    recipe.steps.push_back(std::move(step));
  };
  // The classic builder takes the pulled image by its id, which no tag can move. BuildKit reads
  // an id as a name on Docker Hub: it gets the name, which the engine has (just pulled).
  instruction("FROM " + (flavor == BuildFlavor::classic ? base.id : base.reference),
              "from " + base.reference);
  // The steps install as root; the image's own user comes back after them.
  const bool other_user = !base.user.empty() && base.user != "root" && base.user != "0";
  if (other_user) instruction("USER root", "as root");

  // Proxies reach the steps as Docker's predefined build arguments, which it records nowhere;
  // any other variable needs an ARG, which the classic builder writes into the history. A
  // build with a secret among those runs its steps itself (commit_steps): every variable then
  // reaches each step from dlrun, and no ARG is written.
  for (const auto& variable : build.env) {
    std::string value;
    if (const auto* literal = std::get_if<jobspec::LiteralValue>(&variable.value)) {
      value = literal->value;
      hashed_env += variable.name + "=" + value + "\n";
    } else {
      const auto& host = std::get<jobspec::FromHostEnv>(variable.value).host_variable;
      auto found = env(host);
      if (!found) {
        return fail(ErrorKind::usage,
                    "build.env." + variable.name + " names " + host + ", which is not set",
                    "export " + host + " before running dlrun");
      }
      value = *found;
      hashed_env += variable.name + " from the host\n";
    }
    recipe.build_args[variable.name] = value;
    if (!recipe.commit_steps && !jobspec::is_build_proxy_variable(variable.name)) {
      instruction("ARG " + variable.name, "build.env." + variable.name);
    }
  }

  using Action = BuildStep::Action;
  if (!build.apt.empty()) {
    instruction(apt_step(build.apt, flavor), "build.apt: apt-get install" + quoted_words(build.apt),
                Action::run);
  }
  if (build.requirements) {
    auto text = read_requirements(*build.requirements);
    if (!text) return std::unexpected(text.error());
    requirements = std::move(*text);
    const std::string shown = build.requirements->filename().string();
    instruction("COPY requirements.txt " + std::string(kRequirementsInImage),
                "build.requirements: copy " + shown, Action::copy_requirements);
    instruction(pip_step(" -r " + std::string(kRequirementsInImage), flavor),
                "build.requirements: pip install -r " + shown, Action::run);
  }
  if (!build.pip.empty()) {
    instruction(pip_step(quoted_words(build.pip), flavor),
                "build.pip: pip install" + quoted_words(build.pip), Action::run);
  }
  for (std::size_t i = 0; i < build.run.size(); ++i) {
    instruction("RUN " + build.run[i], "build.run[" + std::to_string(i) + "]: " + build.run[i],
                Action::run);
  }
  if (other_user) instruction("USER " + base.user, "back to user " + base.user);

  // The tag names the content: the base, every step, the files they copy, how they reach the
  // network. Secret values are not hashed: a changed token is not a changed image.
  const std::string hashed = "dlrun build 1\n" + base.id + "\n" + file + "\nrequirements\n" +
                             requirements + "\nenv\n" + hashed_env + "network " + recipe.network;
  recipe.hash = sha256_digest(hashed).substr(std::string_view("sha256:").size());
  recipe.tag =
      std::string(kBuildRepository) + build_repository(job_name) + ":" + recipe.hash.substr(0, 16);

  recipe.labels = {{std::string(kBuildHashLabel), recipe.hash},
                   {std::string(kBuildBaseLabel), base.reference},
                   {std::string(kBuildBaseIdLabel), base.id}};
  // What pulls the same base elsewhere, where a registry served it.
  if (!base.digest.empty()) recipe.labels[std::string(kBuildBaseDigestLabel)] = base.digest;
  if (!build.apt.empty()) recipe.labels[std::string(kBuildAptLabel)] = joined(build.apt);
  if (!build.pip.empty()) recipe.labels[std::string(kBuildPipLabel)] = joined(build.pip);
  if (build.requirements)
    recipe.labels[std::string(kBuildRequirementsLabel)] = sha256_digest(requirements);
  std::string label_line = "LABEL";
  for (const auto& [key, value] : recipe.labels) {
    label_line += " " + key + "=" + nlohmann::json(value).dump();
  }
  instruction(label_line, "labels");
  recipe.flavor = flavor;
  recipe.dockerfile = "# dlrun: the \"build\" section of job " + job_name + " on " +
                      base.reference + " (docs/build.md)\n";
  if (recipe.commit_steps) {
    recipe.dockerfile +=
        "# build.env has secrets: dlrun runs each step in a container with every variable and\n"
        "# commits it, so that no value reaches the image or its history (no ARG below)\n";
  }
  recipe.dockerfile += file;

  std::vector<TarMember> members = {{.path = "Dockerfile", .contents = recipe.dockerfile}};
  if (build.requirements) members.push_back({.path = "requirements.txt", .contents = requirements});
  recipe.context_tar = tar_archive(members);
  recipe.requirements = std::move(requirements);  // after the archive, which views it
  return recipe;
}

}  // namespace dlrun::run
