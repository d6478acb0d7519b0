#pragma once

#include <span>
#include <string_view>

// The job spec's one field table, a JSON Schema (draft-07): the reader takes from it which keys
// each object may have, and `dlrun schema` prints it for editors.
namespace dlrun::jobspec {

std::string_view spec_schema();

// The objects of a spec whose keys are checked.
enum class SpecObject {
  top_level,
  resources,
  framework,
  mount,
  registry_auth,
  from_env,
  build,
  distributed,
  retry,
};

// The keys `object` may have, in the schema's order.
std::span<const std::string_view> spec_fields(SpecObject object);

// The fields whose value is one of a few words, the schema's "enum"s. Their words are in the
// order of the matching C++ enum (MountKind, NetworkMode, …), so a word's index is its value.
enum class SpecWords {
  framework_name,
  framework_variant,  // FrameworkVariant
  framework_source,   // FrameworkSource
  mount_type,         // MountKind
  network,            // NetworkMode
  pull,               // PullPolicy
  build_network,      // BuildNetwork
  gpu_path,           // GpuPath
  retry_on,           // RetryPolicy's on_* flags, in this order: any-failure, gpu-error, oom,
                      // engine-restart
};

// The words `field` may take, as the schema lists them.
std::span<const std::string_view> spec_words(SpecWords field);

}  // namespace dlrun::jobspec
