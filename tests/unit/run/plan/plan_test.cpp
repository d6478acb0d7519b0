#include "dlrun/run/plan/plan.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/run/plan/create_request.hpp"
#include "dlrun/run/plan/docker_command.hpp"
#include "dlrun/run/plan/timeout_program.hpp"

namespace dlrun::run {
namespace {

HostContext host_with(std::map<std::string, std::string> env) {
  HostContext host;
  host.uid = 1234;
  host.gid = 99;
  host.user_name = "bob";
  host.lookup_env = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  host.spec_digest = "sha256:abc";
  host.run_suffix = "ffffff";
  return host;
}

jobspec::JobSpec spec_of(const std::string& extra) {
  auto parsed = jobspec::parse_job_spec(
      R"({"version": 1, "name": "t", "image": "img")" + extra + "}", "/p", "t");
  REQUIRE(parsed.has_value());
  return *parsed;
}

Result<ContainerPlan> plan_of(jobspec::JobSpec spec, HostContext host) {
  return make_plan({.spec = std::move(spec), .host = std::move(host)});
}

nlohmann::json body_of(const ContainerPlan& plan, Secrets secrets = Secrets::masked) {
  return nlohmann::json::parse(create_request_body(plan, secrets));
}

}  // namespace

TEST_CASE("a job without GPUs hides every GPU, whatever the image says", "[run][plan]") {
  auto plan = plan_of(spec_of(""), host_with({}));
  REQUIRE(plan);
  const auto body = body_of(*plan);
  CHECK(body["HostConfig"]["DeviceRequests"] == nlohmann::json::array());
  CHECK(body["Env"].dump().find("NVIDIA_VISIBLE_DEVICES=void") != std::string::npos);
  CHECK(body["Env"].dump().find("NVIDIA_DRIVER_CAPABILITIES") == std::string::npos);
}

TEST_CASE("GPU requests become DeviceRequests", "[run][plan]") {
  const auto request = [](const std::string& gpus) {
    auto plan = plan_of(spec_of(", \"gpus\": " + gpus), host_with({}));
    REQUIRE(plan);
    return body_of(*plan);
  };
  const auto all = request("\"all\"");
  CHECK(
      all["HostConfig"]["DeviceRequests"] ==
      nlohmann::json::parse(R"([{"Driver":"","Count":-1,"Capabilities":[["gpu"]],"Options":{}}])"));
  CHECK(all["Env"].dump().find("NVIDIA_DRIVER_CAPABILITIES=compute,utility") != std::string::npos);
  CHECK(all["Env"].dump().find("NVIDIA_VISIBLE_DEVICES") == std::string::npos);

  CHECK(request("2")["HostConfig"]["DeviceRequests"][0]["Count"] == 2);
  const auto listed = request(R"(["0", "GPU-abc"])");
  CHECK(listed["HostConfig"]["DeviceRequests"][0]["Count"] == 0);
  CHECK(listed["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] ==
        nlohmann::json::parse(R"(["0","GPU-abc"])"));
}

TEST_CASE("the user's own driver capabilities are kept", "[run][plan]") {
  auto plan = plan_of(spec_of(R"(, "gpus": 1, "env": {"NVIDIA_DRIVER_CAPABILITIES": "all"})"),
                      host_with({}));
  REQUIRE(plan);
  CHECK(
      body_of(*plan)["Env"] ==
      nlohmann::json::parse(R"(["NVIDIA_DRIVER_CAPABILITIES=all","HOME=/home/dlrun","USER=bob"])"));
}

TEST_CASE("user host runs as the invoking uid:gid with a writable HOME", "[run][plan]") {
  auto plan = plan_of(spec_of(""), host_with({}));
  REQUIRE(plan);
  const auto body = body_of(*plan);
  CHECK(body["User"] == "1234:99");
  CHECK(
      body["HostConfig"]["Mounts"][0] ==
      nlohmann::json::parse(
          R"({"Type":"tmpfs","Target":"/home/dlrun","TmpfsOptions":{"SizeBytes":1073741824,"Mode":1023}})"));

  auto root = plan_of(spec_of(R"(, "user": "root")"), host_with({}));
  CHECK(body_of(*root)["User"] == "0:0");
  CHECK(body_of(*root)["HostConfig"]["Mounts"] == nlohmann::json::array());
}

TEST_CASE("secrets come from the host and never appear masked output", "[run][plan]") {
  const auto spec = spec_of(R"(, "env": {"TOKEN": {"from_env": "HOST_TOKEN"}})");
  auto missing = plan_of(spec, host_with({}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "env.TOKEN comes from the host variable HOST_TOKEN, which is not set");
  CHECK(missing.error().hint ==
        "export HOST_TOKEN before running dlrun (it is passed to the job, never printed)");

  auto plan = plan_of(spec, host_with({{"HOST_TOKEN", "s3cr3t-value"}}));
  REQUIRE(plan);
  CHECK(create_request_body(*plan, Secrets::revealed).find("TOKEN=s3cr3t-value") !=
        std::string::npos);
  CHECK(create_request_body(*plan, Secrets::masked, 2).find("s3cr3t") == std::string::npos);
  CHECK(create_request_body(*plan, Secrets::masked).find("TOKEN=********") != std::string::npos);
  const std::string command = docker_run_command(*plan);
  CHECK(command.find("s3cr3t") == std::string::npos);
  CHECK(command.find("-e TOKEN=\"$HOST_TOKEN\"") != std::string::npos);
}

TEST_CASE("sandbox and deep-learning defaults are always in the request", "[run][plan]") {
  auto plan =
      plan_of(spec_of(R"(, "cap_add": ["SYS_PTRACE"], "resources": {"memory": "2g", "cpus": 1.5})"),
              host_with({}));
  REQUIRE(plan);
  const auto host = body_of(*plan)["HostConfig"];
  CHECK(host["Privileged"] == false);
  CHECK(host["CapDrop"] == nlohmann::json::parse(R"(["ALL"])"));
  CHECK(host["CapAdd"] == nlohmann::json::parse(R"(["SYS_PTRACE"])"));
  CHECK(host["SecurityOpt"] == nlohmann::json::parse(R"(["no-new-privileges"])"));
  CHECK(host["PidsLimit"] == jobspec::kDefaultPidsLimit);
  CHECK(host["Init"] == true);
  CHECK(host["IpcMode"] == "private");
  CHECK(host["ShmSize"] == jobspec::kDefaultShmBytes);
  CHECK(
      host["Ulimits"] ==
      nlohmann::json::parse(
          R"([{"Name":"memlock","Soft":-1,"Hard":-1},{"Name":"stack","Soft":67108864,"Hard":67108864}])"));
  // The engine keeps every job's output, bounded (100m in two files), so a detached job loses
  // nothing.
  CHECK(
      host["LogConfig"] ==
      nlohmann::json::parse(
          R"({"Type":"local","Config":{"max-size":"52428800","max-file":"2","compress":"false"}})"));
  CHECK(host["Memory"] == 2LL << 30);
  CHECK(host["MemorySwap"] == 2LL << 30);
  CHECK(host["NanoCpus"] == 1500000000);
  CHECK(host["AutoRemove"] == false);
  const auto labels = body_of(*plan)["Labels"];
  CHECK(labels["dlrun.managed"] == "true");
  CHECK(labels["dlrun.job"] == "t");
  CHECK(labels["dlrun.spec-digest"] == "sha256:abc");
  CHECK_FALSE(labels.contains("dlrun.owner"));  // no owner known: no label
  CHECK(plan->container_name == "dlrun-t-ffffff");

  // The owning process, so that a dlrun killed with SIGKILL leaves a container that can be
  // told from a running job's (run/orphans.hpp).
  HostContext owned = host_with({});
  owned.owner = "host:boot:42:1000";
  CHECK(body_of(*plan_of(spec_of(""), owned))["Labels"]["dlrun.owner"] == "host:boot:42:1000");

  jobspec::JobSpec chatty = spec_of("");
  chatty.resources.log_bytes = 1LL << 30;
  CHECK(body_of(*plan_of(chatty, host_with({})))["HostConfig"]["LogConfig"]["Config"]["max-size"] ==
        "536870912");
}

TEST_CASE("a deadline wraps the image's own entrypoint and carries its command over",
          "[run][plan]") {
  PlanInputs inputs{.spec = spec_of(R"(, "timeout": "90s")"), .host = host_with({})};
  // Before the pull only the deadline's start is known.
  auto before = make_plan(inputs);
  REQUIRE(before);
  CHECK(*before->entrypoint == std::vector<std::string>{"/.dlrun/timeout", "90", "10", "--"});
  CHECK_FALSE(before->cmd);

  inputs.supplied = SuppliedImage{
      .name = "img", .base = {}, .entrypoint = {"/entry.sh", "-x"}, .cmd = {"python", "train.py"}};
  auto after = make_plan(inputs);
  REQUIRE(after);
  const auto body = body_of(*after);
  CHECK(body["Entrypoint"] ==
        nlohmann::json::parse(R"(["/.dlrun/timeout", "90", "10", "--", "/entry.sh", "-x"])"));
  CHECK(body["Cmd"] == nlohmann::json::parse(R"(["python", "train.py"])"));
  CHECK(body["StopTimeout"] == 10);
  CHECK(docker_run_command(*after).find(
            "--entrypoint /.dlrun/timeout img 90 10 -- /entry.sh -x python train.py") !=
        std::string::npos);

  // Inside Slurm the grace is KillWait's; the spec's command replaces the image's.
  inputs.spec = spec_of(R"(, "timeout": "90s", "command": ["run"])");
  inputs.stop_grace_seconds = 3;
  auto in_slurm = make_plan(inputs);
  REQUIRE(in_slurm);
  CHECK(body_of(*in_slurm)["Entrypoint"][2] == "3");
  CHECK(body_of(*in_slurm)["StopTimeout"] == 3);
  CHECK(*in_slurm->cmd == std::vector<std::string>{"run"});
}

TEST_CASE("a plan is refused before any pull where no engine would run it", "[run][plan]") {
  PlanInputs detached{.spec = spec_of(R"(, "resources": {"log_size": "none"})"),
                      .host = host_with({}),
                      .attachment = Attachment::detach};
  auto unkept = make_plan(detached);
  REQUIRE_FALSE(unkept);
  CHECK(unkept.error().message ==
        "a detached job needs its output kept, but the spec says resources.log_size \"none\"");
  detached.attachment = Attachment::follow;
  CHECK(make_plan(detached));

  PlanInputs foreign{.spec = spec_of(R"(, "timeout": "1h")"),
                     .host = host_with({}),
                     .engine = EngineProfile{.architecture = "s390x"}};
  auto refused = make_plan(foreign);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.ends_with("but the engine runs on s390x"));
  // Podman says amd64 where Docker says x86_64: the same machine.
  foreign.engine->architecture =
      std::string(timeout_program_architecture()) == "x86_64" ? "amd64" : "arm64";
  CHECK(make_plan(foreign));

  // Only journald (say) to keep the output in: nothing dlrun logs or attach could read back.
  PlanInputs journal{.spec = spec_of(""),
                     .host = host_with({}),
                     .engine = EngineProfile{.product = EngineProduct::podman,
                                             .version = "4.3.1",
                                             .log_drivers = {"journald", "none"}}};
  auto unkeepable = make_plan(journal);
  REQUIRE_FALSE(unkeepable);
  CHECK(unkeepable.error().message ==
        "Podman 4.3.1 has no log driver that keeps a job's output in files of a capped size "
        "(local, json-file or k8s-file); it has journald, none");
  journal.spec = spec_of(R"(, "resources": {"log_size": "none"})");
  CHECK(make_plan(journal));
}

TEST_CASE("the job's output is kept by the engine's own driver, at most log_size of it",
          "[run][plan]") {
  const auto log_of = [](std::vector<std::string> drivers) {
    PlanInputs inputs{.spec = spec_of(""),
                      .host = host_with({}),
                      .engine = EngineProfile{.log_drivers = std::move(drivers)}};
    return make_plan(inputs)->log;
  };
  // Docker: its `local` driver in two rotated files.
  const PlannedLog docker = log_of({"awslogs", "json-file", "local", "syslog"});
  CHECK(docker.driver == "local");
  CHECK(docker.options == std::map<std::string, std::string>{
                              {"compress", "false"}, {"max-file", "2"}, {"max-size", "52428800"}});
  // An engine not asked (a dry run without one) is planned as Docker.
  CHECK(log_of({}).driver == "local");
  CHECK(log_of({"json-file", "syslog"}).driver == "json-file");
  // Podman's conmon writes one file, truncated at its cap.
  const PlannedLog podman = log_of({"k8s-file", "none", "passthrough", "journald"});
  CHECK(podman.driver == "k8s-file");
  CHECK(podman.options == std::map<std::string, std::string>{{"max-size", "104857600"}});
  const auto body = nlohmann::json::parse(
      create_request_body(*make_plan({.spec = spec_of(""),
                                      .host = host_with({}),
                                      .engine = EngineProfile{.log_drivers = {"k8s-file"}}}),
                          Secrets::revealed));
  CHECK(body["HostConfig"]["LogConfig"] ==
        nlohmann::json::parse(R"({"Type":"k8s-file","Config":{"max-size":"104857600"}})"));
}

TEST_CASE("a refused default is left to the daemon, the user's own value is not", "[run][plan]") {
  PlanInputs inputs{.spec = spec_of(""), .host = host_with({}), .refused = {"memlock", "init"}};
  auto plan = make_plan(inputs);
  REQUIRE(plan);
  CHECK(plan->left_to_daemon == std::vector<std::string>{"memlock", "init"});
  CHECK_FALSE(plan->init);
  REQUIRE(plan->ulimits.size() == 1);
  CHECK(plan->ulimits.front().name == "stack");
  CHECK(dlrun_default(*plan, "stack"));
  CHECK_FALSE(dlrun_default(*plan, "memlock"));

  inputs.spec = spec_of(R"(, "resources": {"memlock": "unlimited"})");
  auto asked = make_plan(inputs);
  REQUIRE(asked);
  CHECK(asked->left_to_daemon == std::vector<std::string>{"init"});
  CHECK(asked->ulimits.front().name == "memlock");
  CHECK_FALSE(dlrun_default(*asked, "memlock"));
}

TEST_CASE("a limit refused that the plan never asked for gives way on all of dlrun's limits",
          "[run][plan]") {
  // Podman adds open-file and process limits to a container that asks for any limit; where it
  // may not raise them, asking for none is the way round.
  PlanInputs inputs{.spec = spec_of(""), .host = host_with({})};
  auto plan = make_plan(inputs);
  REQUIRE(plan);
  CHECK(default_to_give_way(*plan, "memlock") == "memlock");
  CHECK(default_to_give_way(*plan, "nofile") == "ulimits");
  inputs.refused = {"ulimits"};
  auto without = make_plan(inputs);
  REQUIRE(without);
  CHECK(without->ulimits.empty());
  CHECK(without->init);
  CHECK(without->left_to_daemon == std::vector<std::string>{"ulimits"});
  CHECK(nlohmann::json::parse(create_request_body(
            *without, Secrets::revealed))["HostConfig"]["Ulimits"] == nlohmann::json::array());
  CHECK(default_to_give_way(*without, "nofile") == std::nullopt);

  // The user's own limit would bring the engine's back: refused, with the fix.
  inputs.refused = {};
  inputs.spec = spec_of(R"(, "resources": {"memlock": "unlimited"})");
  auto asked = make_plan(inputs);
  REQUIRE(asked);
  CHECK(default_to_give_way(*asked, "nofile") == std::nullopt);
  CHECK(default_to_give_way(*asked, "init") == "init");
}

TEST_CASE("what the stages learned is in the plan: owner, Slurm job, the built image's base",
          "[run][plan]") {
  PlanInputs inputs{.spec = spec_of(""), .host = host_with({})};
  inputs.host.owner = "host:boot:42:1000";
  inputs.slurm_job = "77";
  inputs.slurm_step = "0";
  inputs.supplied =
      SuppliedImage{.name = "dlrun/t:abc", .base = "img", .entrypoint = {}, .cmd = {}};
  auto followed = make_plan(inputs);
  REQUIRE(followed);
  const auto labels = body_of(*followed)["Labels"];
  CHECK(labels["dlrun.owner"] == "host:boot:42:1000");
  CHECK(labels["dlrun.slurm-job"] == "77");
  CHECK(labels["dlrun.slurm-step"] == "0");
  CHECK(labels["dlrun.base-image"] == "img");
  CHECK(followed->image == "dlrun/t:abc");
  // A detached job has no dlrun watching it: no owner.
  inputs.attachment = Attachment::detach;
  CHECK_FALSE(body_of(*make_plan(inputs))["Labels"].contains("dlrun.owner"));
}

}  // namespace dlrun::run

namespace dlrun::run {

TEST_CASE("on a rootless engine the invoking user is the user inside, not a subordinate id",
          "[run][plan]") {
  const auto plan_on = [](EngineProfile engine, const std::string& extra = "") {
    engine.log_drivers = {"k8s-file", "local"};
    auto plan =
        make_plan({.spec = spec_of(extra), .host = host_with({}), .engine = std::move(engine)});
    REQUIRE(plan);
    return *plan;
  };
  // Rootless Podman maps the user to the same uid inside (keep-id).
  const ContainerPlan podman =
      plan_on({.product = EngineProduct::podman, .version = "5.6.0", .rootless = true});
  CHECK(podman.user == "1234:99");
  CHECK(podman.userns == "keep-id");
  CHECK(body_of(podman)["HostConfig"]["UsernsMode"] == "keep-id");
  CHECK(docker_run_command(podman).find(" --user 1234:99 --userns keep-id ") != std::string::npos);
  // Rootless Docker has no such mapping: its root is the user.
  const ContainerPlan docker = plan_on({.version = "28.2.2", .rootless = true});
  CHECK(docker.user == "0:0");
  CHECK(docker.userns.empty());
  // Rootful: as before, and "root" or numeric ids are the spec's to say.
  const ContainerPlan rootful = plan_on({.product = EngineProduct::podman, .version = "5.6.0"});
  CHECK(rootful.user == "1234:99");
  CHECK_FALSE(body_of(rootful)["HostConfig"].contains("UsernsMode"));
  CHECK(plan_on({.product = EngineProduct::podman, .version = "5.6.0", .rootless = true},
                R"(, "user": "root")")
            .userns.empty());
}

TEST_CASE("limits a rootless Podman would not apply are not asked, and refused when demanded",
          "[run][plan]") {
  PlanInputs inputs{.spec = spec_of(""),
                    .host = host_with({}),
                    .engine = EngineProfile{.product = EngineProduct::podman,
                                            .version = "4.3.1",
                                            .rootless = true,
                                            .cgroup_version = "2",
                                            .log_drivers = {"k8s-file"}}};
  // Before 5.5 its Docker API drops them (podman#25881).
  auto dropped = make_plan(inputs);
  REQUIRE(dropped);
  CHECK(dropped->ulimits.empty());
  CHECK(dropped->limits_dropped);
  CHECK(dropped->resources.pids_limit == jobspec::kDefaultPidsLimit);
  inputs.spec = spec_of(R"(, "resources": {"memlock": "1g"})");
  auto memlock = make_plan(inputs);
  REQUIRE_FALSE(memlock);
  CHECK(memlock.error().kind == ErrorKind::setting_refused);
  CHECK(memlock.error().subject == "memlock");
  // 5.5 applies them.
  inputs.engine->version = "5.5.0";
  auto applied = make_plan(inputs);
  REQUIRE(applied);
  CHECK(applied->ulimits.front().name == "memlock");
  CHECK_FALSE(applied->limits_dropped);

  // On cgroup v1 no rootless engine sets memory, CPU or process limits.
  inputs.engine->cgroup_version = "1";
  inputs.spec = spec_of(R"(, "resources": {"memory": "16g", "cpus": 2})");
  auto memory = make_plan(inputs);
  REQUIRE_FALSE(memory);
  CHECK(memory.error().message ==
        "Podman 5.5.0 runs rootless on cgroup v1, where a container gets no memory, CPU or "
        "process limit: resources.memory, resources.cpus would not be enforced");
  inputs.spec = spec_of("");
  auto unlimited = make_plan(inputs);
  REQUIRE(unlimited);
  CHECK(unlimited->resources.pids_limit == 0);
  CHECK(unlimited->limits_dropped);
  CHECK(unlimited->ulimits.size() == 2);  // 5.5 applies these
}

}  // namespace dlrun::run
