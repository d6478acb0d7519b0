#include "dlrun/engine/image_ref.hpp"

#include <catch2/catch.hpp>

namespace dlrun::engine {

TEST_CASE("image references normalize like the docker CLI's", "[engine][image]") {
  struct Case {
    const char* text;
    const char* registry;
    const char* repository;
    const char* tag;
    const char* full;
    const char* familiar;
  };
  const Case cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime", "docker.io", "pytorch/pytorch",
       "2.3.1-cuda12.1-cudnn8-runtime", "docker.io/pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io", "nvidia/pytorch", "24.05-py3",
       "nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io/nvidia/pytorch:24.05-py3"},
      {"127.0.0.1:5000/team/img:1", "127.0.0.1:5000", "team/img", "1", "127.0.0.1:5000/team/img:1",
       "127.0.0.1:5000/team/img:1"},
      {"localhost/img", "localhost", "img", "latest", "localhost/img:latest",
       "localhost/img:latest"},
      {"index.docker.io/library/ubuntu:22.04", "docker.io", "library/ubuntu", "22.04",
       "docker.io/library/ubuntu:22.04", "ubuntu:22.04"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto ref = parse_image_ref(c.text);
    REQUIRE(ref);
    CHECK(ref->registry == c.registry);
    CHECK(ref->repository == c.repository);
    CHECK(ref->tag == c.tag);
    CHECK(ref->full() == c.full);
    CHECK(ref->familiar() == c.familiar);
  }

  auto pinned = parse_image_ref("ubuntu@sha256:" + std::string(64, 'a'));
  REQUIRE(pinned);
  CHECK(pinned->tag.empty());
  CHECK(pinned->full() == "docker.io/library/ubuntu@sha256:" + std::string(64, 'a'));
}

TEST_CASE("invalid image references are refused with the reason", "[engine][image]") {
  REQUIRE_FALSE(parse_image_ref("team/Upper:1"));
  CHECK(parse_image_ref("team/Upper:1").error().message ==
        "\"team/Upper:1\" is not a valid image reference: repository names use lowercase letters, "
        "digits and separators (. _ - /)");
  CHECK(parse_image_ref("img:bad tag").error().message ==
        "\"img:bad tag\" is not a valid image reference: bad tag \"bad tag\"");
  CHECK_FALSE(parse_image_ref("img@sha256:xyz"));
  CHECK_FALSE(parse_image_ref(""));
}

TEST_CASE("mirrors rewrite the registry and keep the path", "[engine][image]") {
  const RegistryMirrors mirrors{{"docker.io", "mirror.example:5000"}};
  CHECK(apply_mirror(*parse_image_ref("busybox:1"), mirrors).full() ==
        "mirror.example:5000/library/busybox:1");
  CHECK(apply_mirror(*parse_image_ref("nvcr.io/nvidia/jax:24.04-py3"), mirrors).full() ==
        "nvcr.io/nvidia/jax:24.04-py3");
}

}  // namespace dlrun::engine
