#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

// BuildKit's progress, as the daemon relays it in a build's JSON stream: {"id":
// "moby.buildkit.trace", "aux": "<base64>"}, the base64 of a protobuf StatusResponse
// (github.com/moby/buildkit, api/services/control/control.proto). Only what dlrun shows is read:
// each step as it starts, and the steps' output.
namespace dlrun::engine {

class BuildKitTrace {
 public:
  // "Step 2/5 : RUN …" as the classic builder says it, when a step of the Dockerfile starts;
  // then its output, as it comes.
  using OnOutput = std::function<void(std::string_view text)>;

  // One decoded StatusResponse; false when the bytes are not one (the trace is then ignored:
  // it is progress, not the build's outcome).
  bool decode(std::string_view status_response, const OnOutput& on_output);

 private:
  std::set<std::string> started_;  // vertex digests already announced
};

}  // namespace dlrun::engine
