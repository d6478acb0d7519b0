#include "dlrun/run/image/build_display.hpp"

#include <catch2/catch.hpp>

namespace dlrun::run {

TEST_CASE("a build's steps are named in the spec's words, in Docker's and in buildah's dialect",
          "[run][build]") {
  const std::vector<BuildStep> steps = {
      {.instruction = "RUN apt-get install -y hello", .said = "build.apt: apt-get install hello"}};
  SignalWatcher signals;
  const std::string docker_stream =
      "Step 3/4 : RUN apt-get install -y hello\n ---> Running in 5a1b\nUnpacking hello\n"
      "Removing intermediate container 5a1b\n ---> 3b6a\nSuccessfully built 3b6a\n";
  // Podman's /build runs buildah: "STEP n/m:", "--> id", "COMMIT name", the id alone.
  const std::string buildah_stream =
      "STEP 3/4: RUN apt-get install -y hello\nUnpacking hello\n--> Using cache 3b6ab7b2609\n"
      "--> 533c208ea25\nCOMMIT docker.io/dlrun/job:abc\n" +
      std::string(64, 'e') + "\n";
  for (const auto& stream : {docker_stream, buildah_stream}) {
    BuildDisplay display(steps, PullDisplayMode::quiet, signals);
    display.on_event({.output = stream});
    CHECK(display.step() == "3/4: build.apt: apt-get install hello");
    CHECK(display.last_lines() == "  Unpacking hello\n");
  }
}

}  // namespace dlrun::run
