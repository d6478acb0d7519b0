#include "dlrun/jobspec/parse.hpp"

#include <catch2/catch.hpp>

#include "dlrun/jobspec/units.hpp"
#include "fake_env.hpp"

namespace dlrun::jobspec {
namespace {

SpecProblems problems_of(const std::string& text) {
  auto parsed = parse_job_spec(text, "/specs", "job");
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error();
}

JobSpec parse_ok(const std::string& text) {
  auto parsed = parse_job_spec(text, "/specs", "job");
  if (!parsed) {
    for (const auto& problem : parsed.error()) FAIL_CHECK(problem.path << ": " << problem.message);
  }
  REQUIRE(parsed.has_value());
  return *parsed;
}

// A valid spec with `extra` spliced into the top-level object.
std::string with(const std::string& extra) {
  return R"({"version": 1, "image": "busybox:1")" + (extra.empty() ? "" : ", " + extra) + "}";
}

struct BadInput {
  std::string text;
  SpecProblem expected;
};

}  // namespace

TEST_CASE("every bad input is reported with its path, message and hint", "[spec]") {
  const BadInput cases[] = {
      // 1-5: JSON syntax, located by line:column
      {"{\"version\": 1,,}",
       {"1:15",
        "invalid JSON: syntax error while parsing object key - unexpected ','; expected string "
        "literal",
        "JSON needs double-quoted keys and strings, commas between items but not after the last, "
        "and no comments"}},
      {"{\n  \"version\": 1,\n  \"image\": \"x\",\n}",
       {"4:1",
        "invalid JSON: syntax error while parsing object key - unexpected '}'; expected string "
        "literal",
        "JSON needs double-quoted keys and strings, commas between items but not after the last, "
        "and no comments"}},
      {"{\"version\": 1, 'image': 'x'}",
       {"1:16",
        "invalid JSON: syntax error while parsing object key - invalid literal; last read: '1, ''; "
        "expected string literal",
        "JSON needs double-quoted keys and strings, commas between items but not after the last, "
        "and no comments"}},
      {"",
       {"1:1",
        "invalid JSON: syntax error while parsing value - unexpected end of input; expected '[', "
        "'{', or a literal",
        "JSON needs double-quoted keys and strings, commas between items but not after the last, "
        "and no comments"}},
      {"[1, 2]",
       {"", "expected a JSON object, got an array",
        "a spec looks like {\"version\": 1, \"image\": \"…\", \"command\": [\"python\", "
        "\"train.py\"]}"}},
      // 6-9: version, image, duplicates
      {R"({"image": "busybox"})",
       {"version", "required field is missing",
        "add \"version\": 1 (the spec format this dlrun reads)"}},
      {R"({"version": 2, "image": "busybox"})",
       {"version", "unsupported spec version 2", "this dlrun reads \"version\": 1"}},
      {R"({"version": 1})",
       {"image", "required field is missing",
        "name the image to run, e.g. \"pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\", or a "
        "framework for dlrun "
        "to choose one: \"framework\": {\"name\": \"pytorch\", \"version\": \"2.3\"}"}},
      {R"({"version": 1, "image": "my image"})",
       {"image", "\"my image\" is not an image reference",
        "write [registry/]repository[:tag|@digest], e.g. \"nvcr.io/nvidia/pytorch:24.05-py3\""}},
      {R"({"version": 1, "image": "a", "image": "b"})",
       {"image", "field appears more than once",
        "keep one; JSON readers silently disagree on which wins"}},
      // 11-13: unknown fields with did-you-mean
      {with(R"("comand": ["x"])"), {"comand", "unknown field", "did you mean \"command\"?"}},
      {with(R"("resources": {"shm_sise": "8g"})"),
       {"resources.shm_sise", "unknown field", "did you mean \"shm_size\"?"}},
      {with(R"("colour": "blue")"),
       {"colour", "unknown field",
        "known fields here: version, name, image, framework, command, workdir, env, mounts, "
        "outputs, gpus, gpu_path, "
        "resources, user, network, timeout, labels, cap_add, pull, registry_mirror, "
        "registry_auth, build, distributed, checkpoint, retry, $schema"}},
      // 14-17: name, image type, command
      {with(R"("name": "-bad")"),
       {"name", "\"-bad\" is not a valid job name",
        "use 1-63 letters, digits, '_', '.', '-', starting with a letter or digit"}},
      {R"({"version": 1, "image": 3})", {"image", "expected a string, got number 3", ""}},
      {with(R"("command": [])"),
       {"command", "the command is empty",
        "give the program and its arguments, e.g. [\"python\", \"train.py\"], or leave the field "
        "out to run the image's CMD"}},
      {with(R"("command": ["python", 3])"),
       {"command[1]", "expected a string, got number 3",
        "quote every argument, numbers too: \"3\""}},
      {with(R"("command": {"run": "x"})"),
       {"command", "expected an array of strings or a shell command string, got an object",
        "e.g. [\"python\", \"train.py\"] or \"python train.py --epochs 3\""}},
      // 19: workdir
      {with(R"("workdir": "work")"),
       {"workdir", "\"work\" is not an absolute path",
        "container paths start with /, e.g. \"/workspace\""}},
      // 20-26: env
      {with(R"("env": ["A=1"])"),
       {"env", "expected an object of NAME: value pairs, got an array",
        "e.g. {\"EPOCHS\": \"3\", \"HF_TOKEN\": {\"from_env\": \"HF_TOKEN\"}}"}},
      {with(R"("env": {"EPOCHS": 3})"),
       {"env.EPOCHS", "expected a string or {\"from_env\": \"HOST_VAR\"}, got number 3",
        "quote the value: \"3\""}},
      {with(R"("env": {"1X": "a"})"),
       {"env.1X", "invalid variable name \"1X\"",
        "use letters, digits and underscores, not starting with a digit"}},
      {with(R"("env": {"TOKEN": {"from": "T"}})"),
       {"env.TOKEN.from", "unknown field", "did you mean \"from_env\"?"}},
      {with(R"("env": {"TOKEN": {}})"),
       {"env.TOKEN.from_env", "required field is missing",
        "name the host variable that holds the value, e.g. {\"from_env\": \"TOKEN\"}"}},
      {with(R"("env": {"TOKEN": {"from_env": "bad-name"}})"),
       {"env.TOKEN.from_env", "invalid variable name \"bad-name\"",
        "name a host environment variable, e.g. \"HF_TOKEN\""}},
      {with(R"("env": {"NVIDIA_VISIBLE_DEVICES": "all"})"),
       {"env.NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES is set by dlrun from the `gpus` field",
        "choose GPUs with \"gpus\" (or --gpus) instead, e.g. \"gpus\": [\"0\", \"2\"]"}},
      // 27-33: mounts
      {with(R"("mounts": {"source": "./d"})"),
       {"mounts", "expected an array of mounts, got an object",
        "e.g. [{\"source\": \"./data\", \"target\": \"/data\", \"read_only\": true}]"}},
      {with(R"("mounts": [{"target": "/data"}])"),
       {"mounts[0].source", "required field is missing",
        "name a host path (\"./data\", \"/datasets/imagenet\") or a volume name"}},
      {with(R"("mounts": [{"source": "./d"}])"),
       {"mounts[0].target", "required field is missing",
        "give the absolute path in the container, e.g. \"/data\""}},
      {with(R"("mounts": [{"source": "./d", "target": "data"}])"),
       {"mounts[0].target", "\"data\" is not an absolute path",
        "container paths start with /, e.g. \"/data\""}},
      {with(R"("mounts": [{"source": "./d", "target": "/"}])"),
       {"mounts[0].target", "cannot mount over the container's root",
        "mount at a directory such as \"/data\""}},
      {with(R"("mounts": [{"source": "./a", "target": "/d"}, {"source": "./b", "target": "/d/"}])"),
       {"mounts[1].target", "\"/d\" is already a mount target", "give each mount its own target"}},
      {with(R"("mounts": [{"source": "./d", "target": "/d", "read_only": "yes"}])"),
       {"mounts[0].read_only", "expected true or false, got string \"yes\"", ""}},
      {with(R"("mounts": [{"source": "data dir", "target": "/d"}])"),
       {"mounts[0].source", "\"data dir\" is neither a path nor a volume name",
        "write host paths as absolute or starting with ./ (\"./data dir\"); volume names use "
        "letters, digits, '_', '.', '-'"}},
      {with(R"("mounts": [{"source": "./d", "target": "/d", "type": "nfs"}])"),
       {"mounts[0].type", "unknown mount type \"nfs\"",
        "use \"bind\" (a host path) or \"volume\" (a named Docker volume)"}},
      {with(R"("outputs": "./out", "mounts": [{"source": "./d", "target": "/outputs"}])"),
       {"mounts[0].target", "\"/outputs\" is where \"outputs\" is mounted",
        "mount this elsewhere, or drop \"outputs\" and keep the mount"}},
      // 37-41: gpus
      {with(R"("gpus": -1)"),
       {"gpus", "number -1 is not a GPU count",
        "use \"all\", a count such as 2, or a list of indexes/UUIDs such as [\"0\", \"2\"]"}},
      {with(R"("gpus": "al")"),
       {"gpus", "string \"al\" is not a GPU request",
        "use \"all\", a count such as 2, or a list of indexes/UUIDs such as [\"0\", \"2\"]"}},
      {with(R"("gpus": ["0", "x1"])"),
       {"gpus[1]", "string \"x1\" is not a GPU index or UUID",
        "write an index such as \"0\" or a UUID such as \"GPU-5e3c…\" (see nvidia-smi -L)"}},
      {with(R"("gpus": [])"),
       {"gpus", "the GPU list is empty",
        "leave \"gpus\" out (or use 0) for a job without GPUs; use \"all\", a count such as 2, or "
        "a list of indexes/UUIDs such as [\"0\", \"2\"]"}},
      {with(R"("gpus": true)"),
       {"gpus", "expected \"all\", a count, or a list of GPU indexes/UUIDs, got boolean true",
        "use \"all\", a count such as 2, or a list of indexes/UUIDs such as [\"0\", \"2\"]"}},
      // 42-48: resources
      {with(R"("resources": {"shm_size": "8 gigs"})"),
       {"resources.shm_size", "string \"8 gigs\" is not a size",
        "write a positive size with a binary unit, e.g. \"16g\", \"512m\", or a byte count"}},
      {with(R"("resources": {"memory": -5})"),
       {"resources.memory", "number -5 is not a size",
        "write a positive size with a binary unit, e.g. \"16g\", \"512m\", or a byte count"}},
      {with(R"("resources": {"memory": "1m"})"),
       {"resources.memory", "1m is below Docker's 6m minimum",
        "give the job at least \"6m\"; training jobs usually need gigabytes, e.g. \"32g\""}},
      {with(R"("resources": {"cpus": 0})"),
       {"resources.cpus", "number 0 is not a CPU count",
        "give a positive number of CPUs, fractions allowed, e.g. 8 or 0.5"}},
      {with(R"("resources": {"pids": 3})"),
       {"resources.pids", "number 3 is not a process limit",
        "give the most processes and threads the job may have, at least 16, e.g. 4096"}},
      {with(R"("resources": {"memlock": "lots"})"),
       {"resources.memlock", "string \"lots\" is not a size",
        "write a positive size with a binary unit, e.g. \"16g\", \"512m\", or a byte count"}},
      {with(R"("resources": {"log_size": "64k"})"),
       {"resources.log_size", "64k is below the 1m minimum",
        "the engine keeps the newest part of the job's output up to this size; give at least "
        "\"1m\", e.g. \"500m\" for a chatty job, or \"none\""}},
      {with(R"("resources": "big")"),
       {"resources", "expected an object, got string \"big\"",
        "e.g. {\"shm_size\": \"16g\", \"memory\": \"64g\", \"cpus\": 8, \"pids\": 4096}"}},
      // 49-50: user
      {with(R"("user": "alice")"),
       {"user", "string \"alice\" is not a user",
        "use \"host\" (your uid:gid, the default), \"root\", or numeric \"uid:gid\" such as "
        "\"1000:1000\""}},
      {with(R"("user": 1000)"),
       {"user", "expected a string, got number 1000",
        "use \"host\" (your uid:gid, the default), \"root\", or numeric \"uid:gid\" such as "
        "\"1000:1000\""}},
      // 51-52: network
      {with(R"("network": "brige")"),
       {"network", "unknown network mode \"brige\"",
        "did you mean \"bridge\"? use one of: bridge, none, host"}},
      {with(R"("network": "overlay")"),
       {"network", "unknown network mode \"overlay\"", "use one of: bridge, none, host"}},
      // 53-55: timeout
      {with(R"("timeout": "6 hours")"),
       {"timeout", "\"6 hours\" is not a duration",
        "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", \"1h30m\", "
        "\"90s\""}},
      {with(R"("timeout": "30m1h")"),
       {"timeout", "\"30m1h\" is not a duration",
        "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", \"1h30m\", "
        "\"90s\""}},
      {with(R"("timeout": 0)"),
       {"timeout", "number 0 is not a duration",
        "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", \"1h30m\", "
        "\"90s\""}},
      // 56-58: labels
      {with(R"("labels": {"dlrun.job": "x"})"),
       {"labels.dlrun.job", "labels starting with \"dlrun.\" are reserved",
        "dlrun marks its containers with these; choose another prefix"}},
      {with(R"("labels": {"run": 7})"),
       {"labels.run", "expected a string, got number 7",
        "label values are strings; quote numbers"}},
      {with(R"("labels": ["a"])"),
       {"labels", "expected an object of string labels, got an array",
        "e.g. {\"team\": \"vision\"}"}},
      // 59-61: cap_add
      {with(R"("cap_add": ["SYS_PTRAC"])"),
       {"cap_add[0]", "unknown capability \"SYS_PTRAC\"", "did you mean \"SYS_PTRACE\"?"}},
      {with(R"("cap_add": ["ALL"])"),
       {"cap_add[0]", "adding ALL capabilities is refused",
        "name only the capabilities the job needs, e.g. \"SYS_PTRACE\" for debuggers"}},
      {with(R"("cap_add": "SYS_PTRACE")"),
       {"cap_add", "expected an array of capability names, got string \"SYS_PTRACE\"",
        "e.g. [\"SYS_PTRACE\"]"}},
      // 62-66: image supply
      {with(R"("pull": "alway")"),
       {"pull", "unknown pull policy \"alway\"",
        "did you mean \"always\"? use one of: missing, always, never"}},
      {with(R"("registry_mirror": {"docker.io": "https://mirror"})"),
       {"registry_mirror.docker.io",
        "\"docker.io\": \"https://mirror\" is not a registry: mirror pair",
        "write registry hosts without a scheme or path, e.g. {\"docker.io\": "
        "\"mirror.example:5000\"}"}},
      {with(R"("registry_auth": {"username": "u", "password": "hunter2"})"),
       {"registry_auth.password", "passwords are never written in a spec",
        "put it in a host variable and name that: \"password_env\": \"REGISTRY_PASSWORD\""}},
      {with(R"("registry_auth": {"username": "$oauthtoken"})"),
       {"registry_auth.password_env", "required field is missing",
        "name the host variable that holds the password or token, e.g. \"NGC_API_KEY\""}},
      {with(R"("registry_auth": {"password_env": "KEY"})"),
       {"registry_auth.username", "required field is missing",
        "give \"username\" (e.g. \"$oauthtoken\" for nvcr.io) or \"username_env\""}},
      // 67-70: framework
      {with(R"("framework": {"name": "pytorc"})"),
       {"framework.name", "unknown framework \"pytorc\"",
        "did you mean \"pytorch\"? use one of: pytorch, tensorflow, jax, cuda"}},
      {R"({"version": 1, "framework": {"name": "pytorch", "version": "latest"}})",
       {"framework.version", "\"latest\" is not a version constraint",
        "write a version (\"2.3\" for any 2.3.x) or bounds (\">=2.1,<2.4\")"}},
      {R"({"version": 1, "framework": {"name": "pytorch", "variant": "slim"}})",
       {"framework.variant", "unknown variant \"slim\"",
        "use \"runtime\" (smaller) or \"devel\" (with compilers and headers)"}},
      {R"({"version": 1, "framework": {"name": "pytorch", "python": "three"}})",
       {"framework.python", "\"three\" is not a version constraint",
        "write a version (\"2.3\" for any 2.3.x) or bounds (\">=2.1,<2.4\")"}},
      {R"({"version": 1, "framework": {"name": "pytorch", "pyhton": "3.11"}})",
       {"framework.pyhton", "unknown field", "did you mean \"python\"?"}},
      // retry and checkpoint
      {with(R"("retry": {"exit_codes": [3]})"),
       {"retry.attempts", "required field is missing",
        "say how many attempts in all, the first included, e.g. \"attempts\": 3"}},
      {with(R"("retry": {"attempts": 0})"),
       {"retry.attempts", "number 0 is not a number of attempts",
        "give 1 to 100 attempts in all, the first included, e.g. 3"}},
      {with(R"("retry": {"attempts": 3, "on": ["gpu-eror"]})"),
       {"retry.on[0]", "unknown ending \"gpu-eror\"",
        "did you mean \"gpu-error\"? use \"any-failure\" (any exit but 0), \"gpu-error\" (the "
        "last output shows a GPU failure), \"oom\" (the OOM killer ended it) or "
        "\"engine-restart\" (the engine went away under it)"}},
      {with(R"("retry": {"attempts": 3, "on": [137]})"),
       {"retry.on[0]", "exit codes are not endings",
        "list exit codes in \"exit_codes\", e.g. \"exit_codes\": [137]"}},
      {with(R"("retry": {"attempts": 3, "exit_codes": [0]})"),
       {"retry.exit_codes[0]", "number 0 is not an exit code",
        "exit codes run from 1 to 255 (0 is success, never retried)"}},
      {with(R"("retry": {"attempts": 3, "exit_codes": [3, 3]})"),
       {"retry.exit_codes[1]", "3 is listed twice", "list each exit code once"}},
      {with(R"("retry": {"attempts": 3, "delay": "soon"})"),
       {"retry.delay", "\"soon\" is not a duration",
        "write a positive duration with units d, h, m, s, largest first, e.g. \"6h\", \"1h30m\", "
        "\"90s\""}},
      {with(R"("retry": {"attempts": 3, "delay": "1m", "max_delay": "30s"})"),
       {"retry.max_delay", "the longest delay is shorter than the first",
        "make max_delay at least delay, or leave it out (6m)"}},
      {with(R"("retry": {"attempts": 3, "dealy": "1m"})"),
       {"retry.dealy", "unknown field", "did you mean \"delay\"?"}},
      {with(R"("checkpoint": "ckpt-*.pt")"),
       {"checkpoint", "a checkpoint pattern needs \"outputs\"",
        "add \"outputs\": \"./outputs\" (the job writes its checkpoints to /outputs, which dlrun "
        "reads between attempts)"}},
      {with(R"("outputs": "./out", "checkpoint": "../ckpt-*.pt")"),
       {"checkpoint", "\"../ckpt-*.pt\" is not a pattern under outputs",
        "write it relative to the outputs directory, e.g. \"ckpt-*.pt\" or "
        "\"checkpoints/step-*.pt\""}},
      {with(R"("env": {"DLRUN_ATTEMPT": "1"})"),
       {"env.DLRUN_ATTEMPT", "DLRUN_ATTEMPT is set by dlrun for each attempt",
        "choose another name; \"retry\" and \"checkpoint\" decide its value (docs/retries.md)"}},
  };
  STATIC_REQUIRE(sizeof(cases) / sizeof(cases[0]) >= 40);

  for (const auto& bad : cases) {
    INFO("spec: " << bad.text);
    const auto problems = problems_of(bad.text);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].path == bad.expected.path);
    CHECK(problems[0].message == bad.expected.message);
    CHECK(problems[0].hint == bad.expected.hint);
  }
}

TEST_CASE("all problems of a spec are reported at once", "[spec]") {
  const auto problems = problems_of(
      R"({"version": 1, "image": "x", "gpus": -2, "network": "brige", "timeout": "soon"})");
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].path == "gpus");
  CHECK(problems[1].path == "network");
  CHECK(problems[2].path == "timeout");

  const Error error = to_error(problems, "train.json");
  CHECK(error.kind == ErrorKind::spec);
  CHECK(error.message.starts_with(
      "train.json has 3 problems:\n  gpus: number -2 is not a GPU count\n    hint: "));
}

TEST_CASE("a single problem reads as file: path: message", "[spec]") {
  const Error error = to_error(problems_of(with(R"("comand": [])")), "train.json");
  CHECK(error.message == "train.json: comand: unknown field");
  CHECK(error.hint == "did you mean \"command\"?");

  const Error syntax = to_error(problems_of("{\"version\" 1}"), "train.json");
  CHECK(syntax.message.starts_with("train.json:1:12: invalid JSON: "));
}

TEST_CASE("a full spec parses into the domain struct", "[spec]") {
  const JobSpec spec = parse_ok(R"({
    "version": 1, "name": "resnet", "image": "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
    "command": "python train.py --epochs 3", "workdir": "/workspace",
    "env": {"EPOCHS": "3", "HF_TOKEN": {"from_env": "MY_TOKEN"}},
    "mounts": [{"source": "./data", "target": "/data", "read_only": true},
               {"source": "ckpt", "target": "/ckpt"},
               {"source": "/datasets/x/", "target": "/x/"}],
    "outputs": "../out", "gpus": ["0", 2, "GPU-1234-abcd"],
    "resources": {"shm_size": "16g", "memory": "64g", "cpus": 7.5, "pids": 4096, "memlock": "unlimited",
                  "log_size": "1g"},
    "user": "1000:100", "network": "none", "timeout": "1h30m",
    "labels": {"team": "vision"}, "cap_add": ["sys_ptrace", "CAP_IPC_LOCK"]
  })");
  CHECK(spec.name == "resnet");
  REQUIRE(std::holds_alternative<CommandShell>(spec.command));
  CHECK(std::get<CommandShell>(spec.command).script == "python train.py --epochs 3");
  REQUIRE(spec.env.size() == 2);
  CHECK(std::get<FromHostEnv>(spec.env[1].value).host_variable == "MY_TOKEN");
  REQUIRE(spec.mounts.size() == 3);
  CHECK(spec.mounts[0].kind == MountKind::bind);
  CHECK(spec.mounts[0].source == "/specs/data");
  CHECK(spec.mounts[0].read_only);
  CHECK(spec.mounts[1].kind == MountKind::volume);
  CHECK(spec.mounts[2].source == "/datasets/x/");
  CHECK(spec.mounts[2].target == "/x");
  CHECK(spec.outputs == std::filesystem::path("/out"));
  REQUIRE(std::holds_alternative<GpuList>(spec.gpus));
  CHECK(std::get<GpuList>(spec.gpus).ids == std::vector<std::string>{"0", "2", "GPU-1234-abcd"});
  CHECK(spec.resources.shm_bytes == 16LL << 30);
  CHECK(spec.resources.memory_bytes == 64LL << 30);
  CHECK(spec.resources.cpus == 7.5);
  CHECK(spec.resources.pids_limit == 4096);
  CHECK(spec.resources.memlock_bytes == kUnlimited);  // asked for: not a default to give way
  CHECK(spec.resources.log_bytes == 1LL << 30);
  CHECK(std::get<UserIds>(spec.user).gid == 100);
  CHECK(spec.network == NetworkMode::none);
  CHECK(spec.timeout == std::chrono::seconds(5400));
  CHECK(spec.cap_add == std::vector<std::string>{"SYS_PTRACE", "IPC_LOCK"});
}

TEST_CASE("defaults apply when fields are absent", "[spec]") {
  const JobSpec spec = parse_ok(with(""));
  CHECK(spec.name == "job");
  CHECK(std::holds_alternative<std::monostate>(spec.command));
  CHECK(std::holds_alternative<GpuNone>(spec.gpus));
  CHECK(std::holds_alternative<UserHost>(spec.user));
  CHECK(spec.network == NetworkMode::bridge);
  CHECK(spec.resources.shm_bytes == kDefaultShmBytes);
  CHECK(spec.resources.pids_limit == kDefaultPidsLimit);
  CHECK(spec.resources.log_bytes == 100LL << 20);
  CHECK(parse_ok(with(R"("resources": {"log_size": "none"})")).resources.log_bytes == 0);
  // An editor's schema reference is accepted and means nothing to the job.
  CHECK(parse_ok(with(R"("$schema": "../docs/dlrun.schema.json")")).name == "job");
  CHECK_FALSE(spec.timeout.has_value());
}

TEST_CASE("a retry policy and a checkpoint pattern parse, with their defaults", "[spec][retry]") {
  CHECK_FALSE(parse_ok(with("")).retry.has_value());
  const JobSpec plain = parse_ok(with(R"("retry": {"attempts": 3})"));
  REQUIRE(plain.retry);
  CHECK(plain.retry->attempts == 3);
  CHECK(plain.retry->exit_codes.empty());
  // Without "on": the failures a fresh container can mend, not the job's own.
  CHECK(plain.retry->on_gpu_error);
  CHECK(plain.retry->on_engine_restart);
  CHECK_FALSE(plain.retry->on_oom);
  CHECK_FALSE(plain.retry->on_any_failure);
  CHECK(plain.retry->delay == std::chrono::seconds(10));
  CHECK(plain.retry->max_delay == std::chrono::minutes(6));

  const JobSpec full = parse_ok(with(
      R"("outputs": "./out", "checkpoint": "ckpt/step-*.pt",
         "retry": {"attempts": 5, "on": ["oom"], "exit_codes": [75, 1], "delay": "1m", "max_delay": 600})"));
  REQUIRE(full.retry);
  CHECK(full.retry->attempts == 5);
  CHECK(full.retry->on_oom);
  CHECK_FALSE(full.retry->on_gpu_error);  // "on" names all of them
  CHECK_FALSE(full.retry->on_engine_restart);
  CHECK(full.retry->exit_codes == std::vector<int>{75, 1});
  CHECK(full.retry->delay == std::chrono::minutes(1));
  CHECK(full.retry->max_delay == std::chrono::minutes(10));
  CHECK(full.checkpoint == "ckpt/step-*.pt");
}

TEST_CASE("gpus forms", "[spec]") {
  CHECK(std::holds_alternative<GpuAll>(parse_ok(with(R"("gpus": "all")")).gpus));
  CHECK(std::get<GpuCount>(parse_ok(with(R"("gpus": 2)")).gpus).count == 2);
  CHECK(std::holds_alternative<GpuNone>(parse_ok(with(R"("gpus": 0)")).gpus));

  CHECK(std::holds_alternative<GpuAll>(*parse_gpu_flag("all")));
  CHECK(std::get<GpuCount>(*parse_gpu_flag("4")).count == 4);
  CHECK(std::get<GpuList>(*parse_gpu_flag("0,2")).ids == std::vector<std::string>{"0", "2"});
  CHECK(std::get<GpuList>(*parse_gpu_flag("MIG-abc/1/2")).ids.size() == 1);
  CHECK(parse_gpu_flag("0,,2").error() == "\"\" is not a GPU index or UUID");
  CHECK(parse_gpu_flag("gpu0").error() == "\"gpu0\" is not a GPU index or UUID");
}

TEST_CASE("home-relative mount sources expand $HOME", "[spec]") {
  const testing::FakeEnv env{{{"HOME", "/home/alice"}}};
  const auto spec = parse_job_spec(with(R"("mounts": [{"source": "~/data", "target": "/d"}])"),
                                   "/p", "t", env.lookup());
  REQUIRE(spec.has_value());
  CHECK(spec->mounts[0].source == "/home/alice/data");
}

}  // namespace dlrun::jobspec

namespace dlrun::jobspec {

TEST_CASE("a build section's mistakes are reported with their paths and hints", "[spec][build]") {
  const BadInput cases[] = {
      {with(R"("build": ["hello"])"),
       {"build", "expected an object, got an array",
        "e.g. {\"apt\": [\"libsndfile1\"], \"pip\": [\"transformers==4.44.2\"]}"}},
      {with(R"("build": {"apt": ["libsndfile1"], "pipp": ["x"]})"),
       {"build.pipp", "unknown field", "did you mean \"pip\"?"}},
      {with(R"("build": {"apt": ["libsndfile1 ffmpeg"]})"),
       {"build.apt[0]", "\"libsndfile1 ffmpeg\" is not a Debian package name",
        "write the name as apt-get takes it, e.g. \"libsndfile1\", or pin a version: "
        "\"libsndfile1=1.2.0-1\"; one package per item"}},
      {with(R"("build": {"apt": "hello"})"),
       {"build.apt", "expected an array of strings, got string \"hello\"",
        "e.g. [\"libsndfile1\", \"ffmpeg\"]"}},
      {with(R"("build": {"pip": ["--extra-index-url http://x"]})"),
       {"build.pip[0]", "\"--extra-index-url http://x\" is a pip option, not a requirement",
        "set pip's options as variables in \"build.env\", e.g. \"PIP_INDEX_URL\" or "
        "\"PIP_EXTRA_INDEX_URL\"; or put them in the \"requirements\" file"}},
      {with(R"("build": {"run": [""]})"),
       {"build.run[0]", "the command is empty", "give a shell command, or remove the item"}},
      {with(R"("build": {"pip": ["x"], "network": "bridge"})"),
       {"build.network", "unknown build network \"bridge\"", "use one of: default, host, none"}},
      {with(R"("build": {"env": {"https_proxy": "http://proxy:3128"}})"),
       {"build", "the build installs nothing",
        "list packages in \"apt\" or \"pip\", a \"requirements\" file, or \"run\" commands; or "
        "remove \"build\" to run the image as it is"}},
  };
  for (const auto& bad : cases) {
    INFO(bad.text);
    const auto problems = problems_of(bad.text);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].path == bad.expected.path);
    CHECK(problems[0].message == bad.expected.message);
    CHECK(problems[0].hint == bad.expected.hint);
  }
}

TEST_CASE("a build section parses: paths against the spec's directory, env as written",
          "[spec][build]") {
  const auto spec = parse_ok(with(
      R"("build": {"apt": ["libsndfile1=1.2.0-1"], "requirements": "reqs/train.txt",
                   "pip": ["transformers==4.44.2"], "run": ["python -m nltk.downloader punkt"],
                   "env": {"https_proxy": {"from_env": "PROXY"}, "PIP_INDEX_URL": "http://x"},
                   "network": "host"})"));
  REQUIRE(spec.build);
  CHECK(spec.build->apt == std::vector<std::string>{"libsndfile1=1.2.0-1"});
  CHECK(spec.build->requirements == std::filesystem::path("/specs/reqs/train.txt"));
  CHECK(spec.build->pip == std::vector<std::string>{"transformers==4.44.2"});
  CHECK(spec.build->run == std::vector<std::string>{"python -m nltk.downloader punkt"});
  CHECK(spec.build->network == BuildNetwork::host);
  REQUIRE(spec.build->env.size() == 2);
}

// Found by tests/fuzz (job_spec): a stray byte that is not UTF-8 was quoted raw in the problem,
// which `validate --output json` could not print; a number beyond a double threw out of the
// reader.
TEST_CASE("JSON the reader cannot take is a problem, in printable text", "[spec][fuzz]") {
  const auto stray = problems_of("{\n  \"version\": 1,\n  \xd2\"image\": \"busybox\",\n}\n");
  REQUIRE(stray.size() == 1);
  CHECK(stray[0].path == "3:3");
  CHECK(stray[0].message ==
        "invalid JSON: syntax error while parsing object key - invalid literal; last read: "
        "'1,<U+000A>  \\xD2'; expected string literal");

  const auto overflow = problems_of(with(R"("resources": {"cpus": 1e309})"));
  REQUIRE(overflow.size() == 1);
  CHECK(overflow[0] == SpecProblem{"", "invalid JSON: number overflow parsing '1e309'",
                                   "numbers must fit in a double, e.g. 8 or 0.5"});
}

}  // namespace dlrun::jobspec

namespace dlrun::jobspec {

TEST_CASE("gpu_path says how the GPUs arrive, and MIG devices are named by index", "[spec][gpu]") {
  CHECK(parse_ok(with("")).gpu_path == GpuPath::automatic);
  CHECK(parse_ok(with(R"("gpus": 1, "gpu_path": "cdi")")).gpu_path == GpuPath::cdi);
  CHECK(parse_ok(with(R"("gpus": 1, "gpu_path": "legacy")")).gpu_path == GpuPath::legacy);
  const auto problems = problems_of(with(R"("gpu_path": "cdl")"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == "gpu_path");
  CHECK(problems[0].message == "unknown GPU path \"cdl\"");
  CHECK(problems[0].hint.starts_with("did you mean \"cdi\"? use \"auto\" (CDI where the engine"));

  const auto mig = parse_ok(with(R"("gpus": ["0:1", "MIG-5e3c", 2])"));
  CHECK(std::get<GpuList>(mig.gpus).ids == std::vector<std::string>{"0:1", "MIG-5e3c", "2"});
  CHECK(problems_of(with(R"("gpus": ["0:"])"))[0].path == "gpus[0]");
}

}  // namespace dlrun::jobspec
