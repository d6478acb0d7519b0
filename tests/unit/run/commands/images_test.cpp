// `dlrun images` and `dlrun resolve` as they print: the catalog judged for fixed host facts, with
// the engine scripted (or away), checked against readable files.
// Regenerate after an intended change: DLRUN_UPDATE_GOLDEN=1 dlrun_unit_tests "[golden]"
#include "dlrun/run/commands/images.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlrun/run/commands/image_report.hpp"
#include "dlrun/run/commands/resolution.hpp"
#include "fake_transport.hpp"

namespace dlrun::run {
namespace {

namespace fs = std::filesystem;
using testing::FakeTransport;

const fs::path kGoldens = DLRUN_SOURCE_DIR "/tests/golden";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void check_golden(const fs::path& golden, const std::string& actual) {
  if (std::getenv("DLRUN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  REQUIRE(fs::exists(golden));
  CHECK(read_file(golden) == actual);
}

// A directory of the test's own for specs and config (no user catalog, no user config), and a
// daemon that is scripted, or that no one answers.
struct Harness {
  fs::path dir = fs::temp_directory_path() / ("dlrun-images-test-" + std::to_string(getpid()));
  std::shared_ptr<FakeTransport> daemon =
      std::make_shared<FakeTransport>(FakeTransport::Order::any_order);

  Harness() { fs::create_directories(dir); }
  ~Harness() { fs::remove_all(dir); }

  // The engine answers its ping and lists these images.
  void engine_has(const std::vector<std::string>& tags) {
    daemon->expect("GET /_ping", 200, "OK", {{"api-version", "1.41"}});
    daemon->expect("GET /v1.41/images/json", 200,
                   nlohmann::json::array({{{"Id", "sha256:1"}, {"RepoTags", tags}}}).dump());
  }
  void engine_away() {
    daemon->expect_failure("GET /_ping",
                           Error{ErrorKind::engine_unreachable, "no daemon at the fake", ""});
  }

  std::string spec(const nlohmann::json& framework) {
    const fs::path file = dir / "train.json";
    std::ofstream(file) << nlohmann::json{
        {"version", 1}, {"framework", framework}, {"command", {"python"}}};
    return file.string();
  }

  Surroundings surroundings() {
    return {.endpoint = {.kind = engine::EndpointKind::unix_socket,
                         .socket_path = "/fake/docker.sock",
                         .display = "unix:///fake/docker.sock"},
            .transports = [this](const engine::Endpoint&) { return daemon; },
            .env = [this](std::string_view name) -> std::optional<std::string> {
              if (name == "XDG_CONFIG_HOME" || name == "HOME") return dir.string();
              return std::nullopt;
            }};
  }
};

resolve::HostFactsOverrides host(std::string driver, std::vector<std::string> archs) {
  return {.driver_version = std::move(driver), .gpu_archs = std::move(archs)};
}

}  // namespace

TEST_CASE("images: TensorFlow's images on a Blackwell host, the engine holding one",
          "[run][images][golden]") {
  Harness harness;
  harness.engine_has({"tensorflow/tensorflow:2.20.0-gpu"});
  auto list = list_images({.spec_file = std::nullopt,
                           .framework = "tensorflow",
                           .host = host("570.124.06", {"sm_120"}),
                           .catalog = std::nullopt},
                          harness.surroundings());
  REQUIRE(list);
  CHECK(list->engine_asked);
  check_golden(kGoldens / "images-tensorflow.txt", image_table(*list));
}

TEST_CASE("images: what a spec's framework could use, with the engine away, as JSON",
          "[run][images][golden]") {
  Harness harness;
  harness.engine_away();
  auto list = list_images({.spec_file = harness.spec({{"name", "pytorch"}, {"version", "2.3"}}),
                           .framework = std::nullopt,
                           .host = host("470.82.01", {"sm_80"}),
                           .catalog = std::nullopt},
                          harness.surroundings());
  REQUIRE(list);
  CHECK_FALSE(list->engine_asked);
  for (const auto& row : list->rows) {
    INFO(row.image.reference);
    CHECK(row.image.framework == "pytorch");
    CHECK(row.image.version.prefix(2).to_string() == "2.3");
    CHECK_FALSE(row.on_engine.has_value());
  }
  check_golden(kGoldens / "images-pytorch-2.3.json", image_list_json(*list));
  const std::string table = image_table(*list);
  CHECK(table.find("pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime") != std::string::npos);
  // Without the engine: "-", not "no".
  CHECK(table.find("  yes   -      pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime\n") !=
        std::string::npos);
}

TEST_CASE("images: a spec that gives its image uses none of the catalog", "[run][images]") {
  Harness harness;
  const fs::path file = harness.dir / "explicit.json";
  std::ofstream(file) << R"({"version": 1, "image": "busybox:1.36", "command": ["true"]})";
  auto list = list_images({.spec_file = file,
                           .framework = std::nullopt,
                           .host = host("550.54.14", {"sm_90"}),
                           .catalog = std::nullopt},
                          harness.surroundings());
  REQUIRE_FALSE(list);
  CHECK(list.error().kind == ErrorKind::usage);
  CHECK(list.error().message ==
        file.string() + " gives its \"image\" (busybox:1.36): it uses no image of the catalog");
  CHECK(list.error().hint ==
        "`dlrun images` without a spec lists the whole catalog; a spec with \"framework\" and no "
        "\"image\" lists the images it could use");
}

TEST_CASE("images: a host without a driver or GPUs says what was not checked", "[run][images]") {
  resolve::HostFacts unknown;
  unknown.unknown_because = "NVML: driver not loaded";
  const auto list = tabulate_images(resolve::builtin_catalog(), unknown,
                                    {.framework = "jax", .request = std::nullopt}, {});
  CHECK(image_table(list) ==
        "host: driver unknown, not checked: NVML: driver not loaded; GPUs unknown, not checked\n"
        "FRAMEWORK  VERSION  CUDA  PYTHON  VARIANT  SOURCE  FITS  LOCAL  IMAGE" +
            std::string(25, ' ') +
            "WHY NOT\n"
            "jax        0.5.3    12.9  3.12    devel    ngc     yes   -      "
            "nvcr.io/nvidia/jax:25.04-py3\n"
            "jax        0.4.33   12.6  3.10    devel    ngc     yes   -      "
            "nvcr.io/nvidia/jax:24.10-py3\n"
            "jax        0.4.26   12.4  3.10    devel    ngc     yes   -      "
            "nvcr.io/nvidia/jax:24.04-py3\n");

  const auto none = tabulate_images(
      resolve::builtin_catalog(), unknown,
      {.framework = std::nullopt, .request = resolve::FrameworkRequest{.name = "nothing"}}, {});
  CHECK(image_table(none).ends_with("\nno image in the catalog matches\n"));
}

TEST_CASE("images are grouped by framework, official first, newest first", "[run][images]") {
  const auto list = tabulate_images(resolve::builtin_catalog(), resolve::HostFacts{}, {}, {});
  REQUIRE(list.rows.size() == resolve::builtin_catalog().images.size());
  CHECK(list.rows.front().image.framework == "pytorch");
  CHECK(list.rows.front().image.variant == resolve::Variant::runtime);
  for (std::size_t i = 1; i < list.rows.size(); ++i) {
    const auto& a = list.rows[i - 1].image;
    const auto& b = list.rows[i].image;
    INFO(a.reference << " before " << b.reference);
    if (a.framework != b.framework || a.source_kind != b.source_kind) continue;
    CHECK(a.version >= b.version);
    if (a.version == b.version) CHECK(a.cuda >= b.cuda);
  }
}

TEST_CASE("resolve --explain names each rejection's rule and source, and its JSON carries them",
          "[run][resolve][golden]") {
  Harness harness;
  harness.engine_has({"busybox:1.36"});
  // An Ampere GPU beside a Kepler one: only TensorFlow 2.14 has kernels for both, on this driver.
  const auto request =
      ResolveRequest{.spec_file = harness.spec({{"name", "tensorflow"}, {"version", ">=2.14"}}),
                     .host = host("525.60.13", {"sm_86", "sm_37"}),
                     .catalog = std::nullopt};
  auto resolved = resolve_spec_image(request, harness.surroundings());
  REQUIRE(resolved);
  // Without --explain, as it always printed.
  CHECK(resolution_text(*resolved, ResolveDetail::brief) ==
        "tensorflow/tensorflow:2.14.0-gpu: the newest TensorFlow image that fits this host "
        "(driver 525.60.13, sm_86, sm_37); catalog data inferred: sass, ptx\n");
  check_golden(kGoldens / "resolve-tensorflow.explain.txt",
               resolution_text(*resolved, ResolveDetail::explain));
  check_golden(kGoldens / "resolve-tensorflow.json", resolution_json(*resolved));
}

}  // namespace dlrun::run
