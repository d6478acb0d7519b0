// A spec's "build" section on the real engine: packages from Debian's archive (through the
// fixture's proxy to this machine's mirror) and from a local pip index, cached by content,
// failing and interrupted builds that leave no tag, and build secrets kept out of the image.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine_fixture.hpp"

namespace dlrun::testing {
namespace {

std::string docker(const JobFixture& job, std::vector<std::string> args,
                   const std::string& host = "") {
  args.insert(args.begin(),
              {"/usr/bin/docker", "-H", host.empty() ? job.engine().gpu_host() : host});
  const auto result = run_process({.args = args});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

// What a user behind a proxy with a private index writes: the proxy's password from their
// environment, the local index by address.
nlohmann::json build_section(const JobFixture& job, nlohmann::json packages) {
  packages["network"] = "host";
  packages["env"] = {{"http_proxy", {{"from_env", "BUILD_PROXY"}}},
                     {"no_proxy", "127.0.0.1"},
                     {"PIP_INDEX_URL", job.engine().package_index()}};
  return packages;
}

// The proxy with a password in it, as dlrun reads it from the environment.
Invocation with_proxy(const JobFixture& job) {
  Invocation as;
  as.limit = std::chrono::seconds(300);
  std::string proxy = job.engine().archive_proxy();
  proxy.insert(proxy.find("//") + 2, "builder:pr0xy-s3cret@");
  as.env["BUILD_PROXY"] = proxy;
  return as;
}

// The engine outlives a test run where a developer keeps it: a build this test expects must
// not be found from an earlier run.
void forget_builds(const JobFixture& job, const std::string& repository,
                   const std::string& host = "") {
  const std::string engine = host.empty() ? job.engine().gpu_host() : host;
  std::istringstream ids(docker(job, {"images", "--quiet", repository}, engine));
  for (std::string id; std::getline(ids, id);) {
    (void)run_process({.args = {"/usr/bin/docker", "-H", engine, "rmi", "--force", id}});
  }
}

std::string built_tag(const JobFixture& job, const std::string& spec,
                      const std::string& host = "") {
  const auto built = job.dlrun({"build", "--output", "json", spec}, with_proxy(job), host);
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  return nlohmann::json::parse(built.out).at("tag").get<std::string>();
}

// The tag the engine holds in `repository` (the first, should there be several).
std::string tag_in(const JobFixture& job, const std::string& repository,
                   const std::string& host = "") {
  const std::string tags =
      docker(job, {"images", "--format", "{{.Repository}}:{{.Tag}}", repository}, host);
  return tags.substr(0, tags.find('\n'));
}

// What the engine keeps of an image where a secret could hide: its history's "created by"
// lines and its whole inspect.
struct ImageRecord {
  std::string history;
  std::string inspect;
};
ImageRecord record_of(const JobFixture& job, const std::string& image, const std::string& host) {
  return {docker(job, {"history", "--no-trunc", "--format", "{{.CreatedBy}}", image}, host),
          docker(job, {"image", "inspect", image}, host)};
}

// Now, as `docker events --since` takes it: seconds since the epoch, to the nanosecond.
std::string engine_time_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto nanoseconds =
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count();
  char text[40];
  std::snprintf(text, sizeof text, "%lld.%09lld", static_cast<long long>(seconds.count()),
                static_cast<long long>(nanoseconds));
  return text;
}

}  // namespace

TEST_CASE("apt and pip packages become the job's image, built once and found after",
          "[engine][build]") {
  JobFixture job;
  std::ofstream(job.dir() / "requirements.txt") << "dlrun-probe==1.0\n";
  const auto spec = job.write_spec(
      {{"image", kDebianImage},
       {"name", "packaged"},
       {"command", "hello && python3 -c 'import dlrun_probe; print(dlrun_probe.VERSION)'"},
       {"build", build_section(job, {{"apt", {"hello"}}, {"requirements", "requirements.txt"}})}});
  forget_builds(job, "dlrun/packaged");

  const auto first = job.dlrun({"train", spec}, with_proxy(job));
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "Hello, world!\n1.0\n");
  CHECK(first.err.find("build step 3/6: build.apt: apt-get install hello") != std::string::npos);

  // The second run finds the image: the engine sees no build, only the job's own container.
  const std::string before = engine_time_now();
  const auto second = job.dlrun({"train", spec}, with_proxy(job));
  const std::string after = engine_time_now();
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out == "Hello, world!\n1.0\n");
  CHECK(second.err.find("build step") == std::string::npos);
  const auto events = docker(
      job, {"events", "--since", before, "--until", after, "--filter", "event=create", "--filter",
            "event=tag", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"});
  std::istringstream lines(events);
  int creates = 0;
  // Other tests build beside this one: their step containers and tags are not this job's.
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(!line.starts_with("image tag dlrun/packaged:"));
    if (line.starts_with("container create dlrun-packaged-")) ++creates;
  }
  CHECK(creates == 1);
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a changed pip pin rebuilds from the pip step on, the apt layer reused",
          "[engine][build]") {
  JobFixture job;
  // The engine's builder and its layer cache, and dlrun's own steps (a secret in build.env),
  // which find an unchanged step's image by its label.
  const bool secret = GENERATE(false, true);
  Invocation as = with_proxy(job);
  as.env["PRIVATE_INDEX"] = job.engine().package_index();
  const auto pinned = [&](const std::string& version) {
    auto build =
        build_section(job, {{"apt", {"hello", "sl"}}, {"pip", {"dlrun-probe==" + version}}});
    if (secret) build["env"]["PIP_INDEX_URL"] = {{"from_env", "PRIVATE_INDEX"}};
    // Steps of this test's own from the first on: the engine's cache may otherwise lead the
    // second build through another test's identical steps, built beside this one.
    build["env"]["PINNED_TEST"] = "1";
    return job.write_spec(
        {{"image", kDebianImage},
         {"name", "pinned"},
         {"command", "python3 -c 'import dlrun_probe; print(dlrun_probe.VERSION)'"},
         {"build", build}},
        "pinned-" + version + ".json");
  };
  const auto built = job.dlrun({"build", pinned("1.0")}, as);
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  const std::string old_tag = built.out.substr(0, built.out.find('\n'));
  const auto rebuilt = job.dlrun({"build", pinned("2.0")}, as);
  INFO(rebuilt.err);
  REQUIRE(rebuilt.exit_code == 0);
  const std::string new_tag = rebuilt.out.substr(0, rebuilt.out.find('\n'));
  CHECK(new_tag != old_tag);
  // The apt step came from the engine's cache: nothing was fetched from the archive again.
  CHECK(rebuilt.err.find("Get:1 ") == std::string::npos);

  const auto layers = [&](const std::string& tag) {
    return nlohmann::json::parse(
        docker(job, {"image", "inspect", "--format", "{{json .RootFS.Layers}}", tag}));
  };
  const auto old_layers = layers(old_tag);
  const auto new_layers = layers(new_tag);
  REQUIRE(old_layers.size() == new_layers.size());
  REQUIRE(old_layers.size() >= 3);
  const std::size_t pip_layer = old_layers.size() - 1;
  for (std::size_t i = 0; i < pip_layer; ++i) CHECK(old_layers[i] == new_layers[i]);
  CHECK(old_layers[pip_layer] != new_layers[pip_layer]);

  const auto ran = job.dlrun({"train", pinned("2.0")}, as);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "2.0\n");
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("ps names a job's own image and the image it was built on", "[engine][build]") {
  JobFixture job;
  // Running while ps looks: other tests remove their user's finished jobs beside this one.
  const auto spec = job.write_spec({{"image", kDebianImage},
                                    {"name", "listed"},
                                    {"command", "sleep 60"},
                                    {"build", {{"run", {"touch /listed"}}}}});
  const auto started = job.dlrun({"train", "--detach", spec});
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const auto listed = job.dlrun({"ps", "--output", "json"});
  REQUIRE(listed.exit_code == 0);
  int found = 0;
  for (const auto& entry : nlohmann::json::parse(listed.out)) {
    if (entry["id"] != id) continue;
    ++found;
    CHECK(entry["image"].get<std::string>().starts_with("dlrun/listed:"));
    CHECK(entry["base_image"] == kDebianImage);
  }
  CHECK(found == 1);
  CHECK(job.dlrun({"stop", "--time", "0", id}).exit_code == 0);
  CHECK(job.dlrun({"rm", id}).exit_code == 0);
}

TEST_CASE("a build secret is in neither the image's history nor its config", "[engine][build]") {
  JobFixture job;
  const auto spec = job.write_spec({{"image", kDebianImage},
                                    {"name", "secretive"},
                                    {"build", build_section(job, {{"apt", {"hello"}}})}});
  const auto resolved = job.dlrun({"resolve", "--output", "json", spec});
  REQUIRE(resolved.exit_code == 0);
  CHECK(nlohmann::json::parse(resolved.out)["built_on"] == true);
  // The classic builder (the GPU engine), BuildKit (the plain one) and Podman's buildah alike.
  for (const auto& host :
       {job.engine().gpu_host(), job.engine().plain_host(), job.engine().podman_host()}) {
    INFO(host);
    const auto [history, inspect] = record_of(job, built_tag(job, spec, host), host);
    CHECK(history.find("apt-get") != std::string::npos);       // the history is there…
    CHECK(history.find("pr0xy-s3cret") == std::string::npos);  // …without the secret
    CHECK(inspect.find("pr0xy-s3cret") == std::string::npos);
    CHECK(inspect.find("http_proxy") == std::string::npos);
  }
}

TEST_CASE("a secret index address reaches the steps from dlrun, never the image",
          "[engine][build][secret]") {
  JobFixture job;
  std::ofstream(job.dir() / "requirements.txt") << "dlrun-probe==1.0\n";
  auto build = build_section(job, {{"apt", {"hello"}}, {"requirements", "requirements.txt"}});
  // The index's address with a token in it, from the user's environment.
  build["env"]["PIP_INDEX_URL"] = {{"from_env", "PRIVATE_INDEX"}};
  const auto spec = job.write_spec(
      {{"image", kDebianImage},
       {"name", "indexed"},
       {"command", "hello && python3 -c 'import dlrun_probe; print(dlrun_probe.VERSION)'"},
       {"build", build}});
  Invocation as = with_proxy(job);
  std::string index = job.engine().package_index();
  index.insert(index.find("//") + 2, "reader:1ndex-t0ken@");
  as.env["PRIVATE_INDEX"] = index;

  // The classic builder's engine, BuildKit's and Podman alike: dlrun runs the steps on each.
  for (const auto& host :
       {job.engine().gpu_host(), job.engine().plain_host(), job.engine().podman_host()}) {
    INFO(host);
    const bool podman = host == job.engine().podman_host();
    forget_builds(job, "dlrun/indexed", host);
    const auto first = job.dlrun({"train", spec}, as, host);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out == "Hello, world!\n1.0\n");
    CHECK(first.err.find("build step 3/3: build.requirements: pip install -r requirements.txt") !=
          std::string::npos);

    const std::string image = tag_in(job, "dlrun/indexed", host);
    REQUIRE(image.starts_with("dlrun/indexed:"));
    const auto [history, inspect] = record_of(job, image, host);
    // Docker records each step's command; Podman's commit records none ("/bin/sh").
    if (!podman) CHECK(history.find("pip install") != std::string::npos);
    CHECK(history.find("1ndex-t0ken") == std::string::npos);  // …never the secret
    CHECK(inspect.find("1ndex-t0ken") == std::string::npos);
    CHECK(inspect.find("PIP_INDEX_URL") == std::string::npos);
    CHECK(inspect.find("pr0xy-s3cret") == std::string::npos);
    // The image keeps the base's config, not the steps' containers' (Podman's Docker API
    // takes it as the commit's changes), with the labels by which the next run finds it.
    CHECK(docker(job, {"image", "inspect", "--format", "{{json .Config.Entrypoint}}", image},
                 host) == "[]\n");
    CHECK(docker(
              job,
              {"image", "inspect", "--format", "{{index .Config.Labels \"dlrun.managed\"}}", image},
              host) == "\n");
    // No step's container is left (they are named for the job).
    CHECK(docker(job, {"ps", "--all", "--quiet", "--filter", "name=dlrun-build-indexed-"}, host)
              .empty());

    // Found the second time: no step runs.
    const auto second = job.dlrun({"train", spec}, as, host);
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(second.err.find("build step") == std::string::npos);
  }
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("a package that does not exist: exit 123, the step and its output, no tag",
          "[engine][build]") {
  JobFixture job;
  // Docker's classic builder, and Podman's buildah behind the same API.
  const std::string host = GENERATE(as<std::string>{}, "docker", "podman") == "docker"
                               ? job.engine().gpu_host()
                               : job.engine().podman_host();
  INFO(host);
  auto build = build_section(job, {{"apt", {"dlrun-no-such-pkg"}}});
  Invocation as = with_proxy(job);
  // The engine's builder (FROM, ARG, apt, LABEL), and dlrun's own steps for a build with a
  // secret (apt alone does anything to the files).
  std::string step = "3/4";
  if (GENERATE(false, true)) {
    build["env"]["PIP_INDEX_URL"] = {{"from_env", "PRIVATE_INDEX"}};
    as.env["PRIVATE_INDEX"] = job.engine().package_index();
    step = "1/1";
  }
  const auto spec =
      job.write_spec({{"image", kDebianImage}, {"name", "misspelled"}, {"build", build}});
  const auto failed = job.dlrun({"train", spec}, as, host);
  INFO(failed.err);
  CHECK(failed.exit_code == 123);
  CHECK(failed.err.find("dlrun: error: the job's image could not be built: step " + step +
                        ": build.apt: apt-get install dlrun-no-such-pkg failed (exit code 100)") !=
        std::string::npos);
  // apt-get's stdout and stderr reach the build's output in either order ("Building dependency
  // tree...E: Unable to locate …" on one line, at times): only that the line is among the last.
  const auto last_output = failed.err.find("its last output:");
  CHECK(failed.err.find("E: Unable to locate package dlrun-no-such-pkg", last_output) !=
        std::string::npos);
  CHECK(docker(job, {"images", "--quiet", "dlrun/misspelled"}, host).empty());
  CHECK(job.leftover_containers().empty());
  CHECK(docker(job, {"ps", "--all", "--no-trunc", "--format", "{{.Command}}"}, host)
            .find("dlrun-no-such-pkg") == std::string::npos);
}

TEST_CASE("Ctrl-C mid-build cancels it: exit 130, no tag, no build container",
          "[engine][build][signals]") {
  JobFixture job;
  const std::string marker = "dlrun-build-" + job.run_label();
  nlohmann::json build = {{"run", {"echo " + marker + " && sleep 120"}}};
  Invocation as;
  // The engine's builder, and dlrun's own steps (a build with a secret).
  if (GENERATE(false, true)) {
    build["env"] = {{"STEP_TOKEN", {{"from_env", "STEP_TOKEN"}}}};
    as.env["STEP_TOKEN"] = "t0ken";
  }
  const auto spec = job.write_spec({{"name", "interrupted"}, {"build", build}});
  as.on_output = [&marker, sent = std::make_shared<bool>(false)](pid_t pid, const std::string&,
                                                                 const std::string& err) {
    if (!*sent && err.find(marker + "\n") != std::string::npos) {
      kill(pid, SIGINT);
      *sent = true;
    }
  };
  const auto interrupted = job.dlrun({"train", spec}, as);
  INFO(interrupted.err);
  CHECK(interrupted.exit_code == 130);
  CHECK(interrupted.err.find("interrupted (SIGINT) while building dlrun/interrupted:") !=
        std::string::npos);
  CHECK(docker(job, {"images", "--quiet", "dlrun/interrupted"}).empty());
  // The engine cancels the build when its client goes: the step's container goes with it.
  std::string containers;
  for (int attempt = 0; attempt < 50; ++attempt) {
    containers = docker(job, {"ps", "--all", "--no-trunc", "--format", "{{.Command}}"});
    if (containers.find(marker) == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(containers.find(marker) == std::string::npos);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("with BuildKit, downloads stay in cache mounts: a changed list fetches only what is new",
          "[engine][build][buildkit]") {
  JobFixture job;
  const std::string buildkit = job.engine().plain_host();
  // What an earlier run on a kept engine cached (layers and the cache mounts) would hide the
  // downloads this test looks for.
  forget_builds(job, "dlrun/cached", buildkit);
  docker(job, {"builder", "prune", "--all", "--force"}, buildkit);
  const auto with_packages = [&](std::vector<std::string> packages, const std::string& file) {
    return job.write_spec({{"image", kDebianImage},
                           {"name", "cached"},
                           {"command", "hello"},
                           {"build", build_section(job, {{"apt", packages}})}},
                          file);
  };
  const auto first =
      job.dlrun({"train", with_packages({"hello"}, "one.json")}, with_proxy(job), buildkit);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "Hello, world!\n");
  // The steps are announced in the spec's words, as with the classic builder.
  CHECK(first.err.find(": build.apt: apt-get install hello") != std::string::npos);

  const auto second = job.dlrun({"train", with_packages({"hello", "figlet"}, "two.json")},
                                with_proxy(job), buildkit);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out == "Hello, world!\n");
  CHECK(second.err.find(" figlet ") != std::string::npos);      // fetched: it is new
  CHECK(second.err.find(" hello amd64") == std::string::npos);  // not fetched again
  // The cache is outside the image: no package lists or archives in its layers.
  const auto listed = job.dlrun({"train", with_packages({"hello", "figlet"}, "two.json")},
                                with_proxy(job), buildkit);
  (void)listed;
  CHECK(job.leftover_containers().empty());
}

TEST_CASE("with BuildKit, a failing step still says which, with its output and exit code",
          "[engine][build][buildkit]") {
  JobFixture job;
  const auto spec =
      job.write_spec({{"image", kDebianImage},
                      {"name", "misspelled"},
                      {"build", build_section(job, {{"apt", {"dlrun-no-such-pkg"}}})}});
  const auto failed = job.dlrun({"train", spec}, with_proxy(job), job.engine().plain_host());
  INFO(failed.err);
  CHECK(failed.exit_code == 123);
  CHECK(failed.err.find(": build.apt: apt-get install dlrun-no-such-pkg failed (exit code 100)") !=
        std::string::npos);
  // apt-get's stdout and stderr reach the build's output in either order ("Building dependency
  // tree...E: Unable to locate …" on one line, at times): only that the line is among the last.
  const auto last_output = failed.err.find("its last output:");
  CHECK(failed.err.find("E: Unable to locate package dlrun-no-such-pkg", last_output) !=
        std::string::npos);
}

}  // namespace dlrun::testing

namespace dlrun::testing {

TEST_CASE("a base without apt-get or pip says so at its step", "[engine][build]") {
  JobFixture job;
  // busybox: neither apt-get nor python3.
  const auto no_apt = job.write_spec({{"name", "no-apt"}, {"build", {{"apt", {"hello"}}}}});
  const auto apt_failed = job.dlrun({"train", no_apt});
  INFO(apt_failed.err);
  CHECK(apt_failed.exit_code == 123);
  CHECK(apt_failed.err.find("  dlrun: the base image has no apt-get: build.apt needs a Debian or "
                            "Ubuntu based image") != std::string::npos);
  const auto no_pip =
      job.write_spec({{"name", "no-pip"}, {"build", {{"pip", {"numpy"}}}}}, "no-pip.json");
  const auto pip_failed = job.dlrun({"train", no_pip});
  INFO(pip_failed.err);
  CHECK(pip_failed.exit_code == 123);
  CHECK(pip_failed.err.find("build.pip: pip install numpy failed (exit code 1)") !=
        std::string::npos);
  CHECK(pip_failed.err.find("  dlrun: the base image has no pip for python3") != std::string::npos);
  CHECK(job.leftover_containers().empty());
}

}  // namespace dlrun::testing

namespace dlrun::testing {

// The base is pulled with the Docker config's credentials, and the build is given the same ones
// (X-Registry-Config, for that registry only: the client's unit test checks the header) should
// its builder pull the base again.
TEST_CASE("a private base image from a registry with a password builds and runs",
          "[engine][build][registry]") {
  JobFixture job;
  const std::string base = job.engine().registry() + "/dlrun-test/busybox:1";
  const auto spec = job.write_spec({{"image", base},
                                    {"name", "private-base"},
                                    {"command", "test -f /built-on-private-base"},
                                    {"build", {{"run", {"touch /built-on-private-base"}}}}});
  forget_builds(job, "dlrun/private-base");
  Invocation as;
  as.limit = std::chrono::seconds(120);
  as.env["DOCKER_CONFIG"] = (job.engine().dir / "registry/docker-config").string();
  const auto result = job.dlrun({"train", "--pull", "always", spec}, as);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("building dlrun/private-base:") != std::string::npos);
  // The image records the digest that pulls the same base anywhere.
  const std::string labelled = docker(
      job, {"image", "inspect", "--format", "{{index .Config.Labels \"dlrun.build.base-digest\"}}",
            tag_in(job, "dlrun/private-base")});
  CHECK(labelled.starts_with(job.engine().registry() + "/dlrun-test/busybox@sha256:"));

  // Without the credentials the pull is refused before any build.
  Invocation anonymous;
  anonymous.env["DOCKER_CONFIG"] = (job.dir() / "no-docker-config").string();
  const auto refused = job.dlrun({"train", "--pull", "always", spec}, anonymous);
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("building") == std::string::npos);
}

}  // namespace dlrun::testing
