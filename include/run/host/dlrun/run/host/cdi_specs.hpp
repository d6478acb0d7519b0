#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlrun/run/host/engine_profile.hpp"

// The CDI specs on the engine's host (Container Device Interface: a YAML or JSON file per
// vendor, in the engine's spec directories), read the way the engines read them.
namespace dlrun::run {

// The names of the devices of `kind` ("nvidia.com/gpu") that the specs in `dirs` list, in their
// order: "0", "GPU-4d2…", "0:1", "all". A file that cannot be read or parsed is skipped, as the
// engines skip it; a missing directory lists nothing.
std::vector<std::string> cdi_devices_of(std::string_view kind,
                                        const std::vector<std::string>& dirs);

// The same of one spec's text (YAML, of which JSON is a part); empty for another kind.
std::vector<std::string> cdi_devices_in(std::string_view kind, const std::string& spec_text);

// The devices of `kind` in the CDI specs `engine` reads, where dlrun can see them: nullopt for
// an engine on another host (`local` false), and for Podman where its default directories name
// none (it does not say where containers.conf points it, so they are out of sight).
std::optional<std::vector<std::string>> engine_cdi_devices(std::string_view kind,
                                                           const EngineProfile& engine, bool local);

}  // namespace dlrun::run
