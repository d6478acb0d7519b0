#include "dlrun/run/plan.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlrun/jobspec/parse.hpp"
#include "dlrun/run/create_request.hpp"
#include "dlrun/run/docker_command.hpp"

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

nlohmann::json body_of(const ContainerPlan& plan, Secrets secrets = Secrets::masked) {
  return nlohmann::json::parse(create_request_body(plan, secrets));
}

}  // namespace

TEST_CASE("a job without GPUs hides every GPU, whatever the image says", "[run][plan]") {
  auto plan = make_plan(spec_of(""), host_with({}));
  REQUIRE(plan);
  const auto body = body_of(*plan);
  CHECK(body["HostConfig"]["DeviceRequests"] == nlohmann::json::array());
  CHECK(body["Env"].dump().find("NVIDIA_VISIBLE_DEVICES=void") != std::string::npos);
  CHECK(body["Env"].dump().find("NVIDIA_DRIVER_CAPABILITIES") == std::string::npos);
}

TEST_CASE("GPU requests become DeviceRequests", "[run][plan]") {
  const auto request = [](const std::string& gpus) {
    auto plan = make_plan(spec_of(", \"gpus\": " + gpus), host_with({}));
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
  auto plan = make_plan(spec_of(R"(, "gpus": 1, "env": {"NVIDIA_DRIVER_CAPABILITIES": "all"})"),
                        host_with({}));
  REQUIRE(plan);
  CHECK(
      body_of(*plan)["Env"] ==
      nlohmann::json::parse(R"(["NVIDIA_DRIVER_CAPABILITIES=all","HOME=/home/dlrun","USER=bob"])"));
}

TEST_CASE("user host runs as the invoking uid:gid with a writable HOME", "[run][plan]") {
  auto plan = make_plan(spec_of(""), host_with({}));
  REQUIRE(plan);
  const auto body = body_of(*plan);
  CHECK(body["User"] == "1234:99");
  CHECK(
      body["HostConfig"]["Mounts"][0] ==
      nlohmann::json::parse(
          R"({"Type":"tmpfs","Target":"/home/dlrun","TmpfsOptions":{"SizeBytes":1073741824,"Mode":1023}})"));

  auto root = make_plan(spec_of(R"(, "user": "root")"), host_with({}));
  CHECK(body_of(*root)["User"] == "0:0");
  CHECK(body_of(*root)["HostConfig"]["Mounts"] == nlohmann::json::array());
}

TEST_CASE("secrets come from the host and never appear masked output", "[run][plan]") {
  const auto spec = spec_of(R"(, "env": {"TOKEN": {"from_env": "HOST_TOKEN"}})");
  auto missing = make_plan(spec, host_with({}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "env.TOKEN comes from the host variable HOST_TOKEN, which is not set");
  CHECK(missing.error().hint ==
        "export HOST_TOKEN before running dlrun (it is passed to the job, never printed)");

  auto plan = make_plan(spec, host_with({{"HOST_TOKEN", "s3cr3t-value"}}));
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
  auto plan = make_plan(
      spec_of(R"(, "cap_add": ["SYS_PTRACE"], "resources": {"memory": "2g", "cpus": 1.5})"),
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
  CHECK(body_of(*make_plan(spec_of(""), owned))["Labels"]["dlrun.owner"] == "host:boot:42:1000");

  jobspec::JobSpec chatty = spec_of("");
  chatty.resources.log_bytes = 1LL << 30;
  CHECK(
      body_of(*make_plan(chatty, host_with({})))["HostConfig"]["LogConfig"]["Config"]["max-size"] ==
      "536870912");
}

}  // namespace dlrun::run
