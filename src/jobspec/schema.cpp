#include "dlrun/jobspec/schema.hpp"

#include <nlohmann/json.hpp>

namespace dlrun::jobspec {
namespace {

// The spec's one field table. The reader takes from it which keys each object may have (a key
// not here is an unknown field, with a did-you-mean); `dlrun schema` prints it for editors.
// Types and ranges here are what the reader enforces; tests/harness/schema-agreement.py checks
// that an independent validator and `dlrun validate` agree on the examples and on bad specs.
constexpr std::string_view kSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "https://dlrun.dev/schema/job-spec-v1.json",
  "title": "dlrun job spec, version 1",
  "description": "A training job for `dlrun train`. Reference: docs/spec.md.",
  "type": "object",
  "required": ["version"],
  "anyOf": [{"required": ["image"]}, {"required": ["framework"]}],
  "dependencies": {"checkpoint": ["outputs"]},
  "additionalProperties": false,
  "definitions": {
    "size": {
      "description": "Bytes, or a number with a binary unit: \"512m\", \"16g\", \"1.5g\", \"64GiB\".",
      "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)? *([kKmMgGtT]([iI]?[bB])?|[bB])?$"}
      ]
    },
    "duration": {
      "description": "Seconds, or units d, h, m, s, largest first: \"6h30m\", \"90s\".",
      "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": "^([0-9]+[dD])?([0-9]+[hH])?([0-9]+[mM])?([0-9]+[sS])?$", "minLength": 2}
      ]
    },
    "versionConstraint": {
      "description": "A version or a range: \"2.3\", \">=2.1,<2.4\".",
      "type": "string",
      "minLength": 1
    },
    "fromEnv": {
      "type": "object",
      "description": "The value of a variable of the host running dlrun, never written in the spec.",
      "required": ["from_env"],
      "additionalProperties": false,
      "properties": {
        "from_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
      }
    },
    "mount": {
      "type": "object",
      "required": ["source", "target"],
      "additionalProperties": false,
      "properties": {
        "source": {"type": "string", "minLength": 1, "description": "A host path (relative to the spec) or a named volume."},
        "target": {"type": "string", "pattern": "^/", "description": "An absolute path in the container."},
        "read_only": {"type": "boolean", "default": false},
        "type": {"enum": ["bind", "volume"], "description": "Default: bind for paths, volume for names."}
      }
    }
  },
  "properties": {
    "version": {"const": 1, "description": "The spec format. This dlrun reads 1."},
    "name": {
      "type": "string",
      "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
      "description": "The job's name. Default: the spec file's name without .json."
    },
    "image": {
      "type": "string",
      "minLength": 1,
      "pattern": "^[^\\s]+$",
      "description": "[registry/]repository[:tag|@digest]. Wins over framework."
    },
    "framework": {
      "type": "object",
      "description": "A framework for dlrun to choose an image for, fitting this host's driver and GPUs.",
      "required": ["name"],
      "additionalProperties": false,
      "properties": {
        "name": {"enum": ["pytorch", "tensorflow", "jax", "cuda"]},
        "version": {"$ref": "#/definitions/versionConstraint"},
        "cuda": {"$ref": "#/definitions/versionConstraint"},
        "python": {"$ref": "#/definitions/versionConstraint"},
        "variant": {"enum": ["runtime", "devel"]},
        "source": {"enum": ["official", "ngc"]}
      }
    },
    "command": {
      "description": "An argv array runs as is; a string runs under /bin/sh -c. Default: the image's CMD.",
      "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "string"}}
      ]
    },
    "workdir": {"type": "string", "pattern": "^/", "description": "Absolute path in the container."},
    "env": {
      "type": "object",
      "description": "Variables: a literal string, or {\"from_env\": \"HOST_VAR\"}.",
      "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
      "additionalProperties": {"oneOf": [{"type": "string"}, {"$ref": "#/definitions/fromEnv"}]}
    },
    "mounts": {"type": "array", "items": {"$ref": "#/definitions/mount"}},
    "outputs": {"type": "string", "minLength": 1, "description": "A host directory, mounted at /outputs."},
    "gpus": {
      "description": "\"all\", a count, or a list of indexes, UUIDs or MIG devices (\"0:1\"). Default: none.",
      "oneOf": [
        {"const": "all"},
        {"type": "integer", "minimum": 0},
        {
          "type": "array",
          "minItems": 1,
          "items": {
            "oneOf": [
              {"type": "integer", "minimum": 0},
              {"type": "string", "pattern": "^([0-9]+|[0-9]+:[0-9]+|(GPU|MIG)-[A-Za-z0-9/-]+)$"}
            ]
          }
        }
      ]
    },
    "gpu_path": {
      "enum": ["auto", "cdi", "legacy"],
      "description": "How the GPUs reach the container: CDI devices, or NVIDIA's hook (legacy). Default auto: CDI where the engine has it and NVIDIA's CDI spec lists the GPUs."
    },
    "resources": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "shm_size": {"$ref": "#/definitions/size", "description": "/dev/shm. Default 8g."},
        "memory": {"$ref": "#/definitions/size", "description": "Memory limit, at least 6m; no swap."},
        "cpus": {"type": "number", "exclusiveMinimum": 0, "maximum": 4096},
        "pids": {"type": "integer", "minimum": 16, "description": "Default 16384."},
        "memlock": {"oneOf": [{"const": "unlimited"}, {"$ref": "#/definitions/size"}]},
        "log_size": {
          "description": "Output the engine keeps, at least 1m. Default 100m.",
          "oneOf": [{"const": "none"}, {"$ref": "#/definitions/size"}]
        }
      }
    },
    "user": {
      "type": "string",
      "pattern": "^(host|root|[0-9]+:[0-9]+)$",
      "description": "host (your uid:gid, the default), root, or \"uid:gid\"."
    },
    "network": {"enum": ["bridge", "none", "host"]},
    "timeout": {"$ref": "#/definitions/duration"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "cap_add": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "pull": {"enum": ["missing", "always", "never"]},
    "registry_mirror": {
      "type": "object",
      "description": "Registry to mirror host: {\"docker.io\": \"mirror.corp:5000\"}.",
      "additionalProperties": {"type": "string", "minLength": 1}
    },
    "registry_auth": {
      "type": "object",
      "required": ["password_env"],
      "additionalProperties": false,
      "properties": {
        "username": {"type": "string"},
        "username_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "password_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
      }
    },
    "build": {
      "type": "object",
      "description": "Packages on top of the image: dlrun builds a derived image once and reuses it. Reference: docs/build.md.",
      "additionalProperties": false,
      "minProperties": 1,
      "properties": {
        "apt": {
          "type": "array",
          "description": "Debian/Ubuntu packages, \"name\" or \"name=version\".",
          "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$"}
        },
        "requirements": {"type": "string", "minLength": 1, "description": "A pip requirements file, relative to the spec."},
        "pip": {
          "type": "array",
          "description": "pip requirement lines: \"transformers==4.44.2\".",
          "items": {"type": "string", "pattern": "^[^-\\s][^\\n]*$"}
        },
        "run": {"type": "array", "description": "Shell commands, run last, in order.", "items": {"type": "string", "minLength": 1}},
        "env": {
          "type": "object",
          "description": "Variables set only while building (proxies, package indexes).",
          "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
          "additionalProperties": {"oneOf": [{"type": "string"}, {"$ref": "#/definitions/fromEnv"}]}
        },
        "network": {"enum": ["default", "host", "none"], "description": "The build's network. Default: the daemon's default."}
      }
    },
    "distributed": {
      "type": "object",
      "description": "One job over several nodes, wired for torchrun. Reference: docs/distributed.md.",
      "additionalProperties": false,
      "required": ["nodes"],
      "properties": {
        "nodes": {"type": "integer", "minimum": 1, "maximum": 4096},
        "gpus_per_node": {"type": "integer", "minimum": 1, "maximum": 1024},
        "master_port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "Default 29500."}
      }
    },
    "checkpoint": {
      "type": "string",
      "minLength": 1,
      "pattern": "^(?!/)(?!(.*/)?\\.\\.(/|$))",
      "description": "A glob under outputs naming the job's checkpoints, e.g. \"ckpt-*.pt\": each attempt gets the newest match as DLRUN_RESUME_FROM. Reference: docs/retries.md."
    },
    "retry": {
      "type": "object",
      "description": "More attempts, each in a fresh container, after the endings named. Reference: docs/retries.md.",
      "additionalProperties": false,
      "required": ["attempts"],
      "properties": {
        "attempts": {"type": "integer", "minimum": 1, "maximum": 100, "description": "In all, the first included."},
        "on": {
          "type": "array",
          "description": "Which endings are retried besides exit_codes. Default: [\"gpu-error\", \"engine-restart\"].",
          "uniqueItems": true,
          "items": {"enum": ["any-failure", "gpu-error", "oom", "engine-restart"]}
        },
        "exit_codes": {
          "type": "array",
          "description": "The job's own exit codes that are retried.",
          "uniqueItems": true,
          "items": {"type": "integer", "minimum": 1, "maximum": 255}
        },
        "delay": {"$ref": "#/definitions/duration", "description": "Before the second attempt, doubled before each after it. Default 10s."},
        "max_delay": {"$ref": "#/definitions/duration", "description": "The longest delay. Default 6m."}
      }
    },
    "$schema": {"type": "string", "description": "This schema, for editors; dlrun ignores it."}
  }
}
)json";

// Ordered: the reader lists known fields in the table's order.
const nlohmann::ordered_json& schema() {
  static const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(kSchema);
  return parsed;
}

// Names the schema lists, kept for the life of the process: an object's keys, or an enum's
// words.
class SchemaNames {
 public:
  static SchemaNames keys_of(const nlohmann::ordered_json& object_schema) {
    SchemaNames names;
    for (const auto& [key, value] : object_schema.at("properties").items())
      names.names_.push_back(key);
    names.index();
    return names;
  }
  static SchemaNames words_of(const nlohmann::ordered_json& field_schema) {
    SchemaNames names;
    for (const auto& word : field_schema.at("enum"))
      names.names_.push_back(word.get<std::string>());
    names.index();
    return names;
  }
  std::span<const std::string_view> views() const { return views_; }

 private:
  void index() {
    for (const auto& name : names_) views_.push_back(name);
  }
  std::vector<std::string> names_;
  std::vector<std::string_view> views_;
};

}  // namespace

std::string_view spec_schema() {
  return kSchema;
}

std::span<const std::string_view> spec_fields(SpecObject object) {
  const nlohmann::ordered_json& properties = schema().at("properties");
  const nlohmann::ordered_json& definitions = schema().at("definitions");
  static const auto top = SchemaNames::keys_of(schema());
  static const auto resources = SchemaNames::keys_of(properties.at("resources"));
  static const auto framework = SchemaNames::keys_of(properties.at("framework"));
  static const auto mount = SchemaNames::keys_of(definitions.at("mount"));
  static const auto registry_auth = SchemaNames::keys_of(properties.at("registry_auth"));
  static const auto from_env = SchemaNames::keys_of(definitions.at("fromEnv"));
  static const auto build = SchemaNames::keys_of(properties.at("build"));
  static const auto distributed = SchemaNames::keys_of(properties.at("distributed"));
  static const auto retry = SchemaNames::keys_of(properties.at("retry"));
  switch (object) {
    case SpecObject::top_level:
      return top.views();
    case SpecObject::resources:
      return resources.views();
    case SpecObject::framework:
      return framework.views();
    case SpecObject::mount:
      return mount.views();
    case SpecObject::registry_auth:
      return registry_auth.views();
    case SpecObject::from_env:
      return from_env.views();
    case SpecObject::build:
      return build.views();
    case SpecObject::distributed:
      return distributed.views();
    case SpecObject::retry:
      return retry.views();
  }
  return top.views();
}

std::span<const std::string_view> spec_words(SpecWords field) {
  const nlohmann::ordered_json& properties = schema().at("properties");
  const nlohmann::ordered_json& framework = properties.at("framework").at("properties");
  static const auto framework_name = SchemaNames::words_of(framework.at("name"));
  static const auto framework_variant = SchemaNames::words_of(framework.at("variant"));
  static const auto framework_source = SchemaNames::words_of(framework.at("source"));
  static const auto mount_type =
      SchemaNames::words_of(schema().at("definitions").at("mount").at("properties").at("type"));
  static const auto network = SchemaNames::words_of(properties.at("network"));
  static const auto pull = SchemaNames::words_of(properties.at("pull"));
  static const auto gpu_path = SchemaNames::words_of(properties.at("gpu_path"));
  static const auto build_network =
      SchemaNames::words_of(properties.at("build").at("properties").at("network"));
  static const auto retry_on =
      SchemaNames::words_of(properties.at("retry").at("properties").at("on").at("items"));
  switch (field) {
    case SpecWords::framework_name:
      return framework_name.views();
    case SpecWords::framework_variant:
      return framework_variant.views();
    case SpecWords::framework_source:
      return framework_source.views();
    case SpecWords::mount_type:
      return mount_type.views();
    case SpecWords::network:
      return network.views();
    case SpecWords::pull:
      return pull.views();
    case SpecWords::build_network:
      return build_network.views();
    case SpecWords::gpu_path:
      return gpu_path.views();
    case SpecWords::retry_on:
      return retry_on.views();
  }
  return framework_name.views();
}

}  // namespace dlrun::jobspec
