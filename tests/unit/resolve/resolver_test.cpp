#include "dlrun/resolve/resolver.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

namespace dlrun::resolve {
namespace {

// One resolver question in a line: what is asked, the host, what the engine already has.
struct Case {
  // "pytorch 2.5 cuda=>=12.1 python=3.10 devel ngc": the framework, then any of a version
  // constraint, cuda=, python=, runtime|devel, official|ngc.
  const char* request;
  // "550.54.14 sm_90 sm_80/tesla": the driver ("-": unknown), then each GPU (with its brand).
  const char* host;
  const char* local;     // a reference present on the engine, or ""
  const char* expected;  // the chosen reference, or "error: <start of the message>"
};

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> result;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) result.push_back(word);
  return result;
}

FrameworkRequest parse_request(std::string_view text) {
  const auto parts = words(text);
  FrameworkRequest request{.name = parts.front()};
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.starts_with("cuda=")) {
      request.cuda = VersionConstraint::parse(part.substr(5));
    } else if (part.starts_with("python=")) {
      request.python = VersionConstraint::parse(part.substr(7));
    } else if (part == "runtime" || part == "devel") {
      request.variant = part == "devel" ? Variant::devel : Variant::runtime;
    } else if (part == "official" || part == "ngc") {
      request.source = part == "ngc" ? ImageSource::ngc : ImageSource::official;
    } else {
      request.version = VersionConstraint::parse(part);
    }
  }
  return request;
}

HostFacts parse_host(std::string_view text) {
  const auto parts = words(text);
  HostFacts host;
  if (parts.front() != "-") host.driver = Version::parse(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto slash = parts[i].find('/');
    GpuFacts gpu;
    gpu.index = static_cast<int>(i - 1);
    gpu.compute_capability = parse_gpu_arch(parts[i].substr(0, slash));
    if (slash != std::string::npos) gpu.brand = parts[i].substr(slash + 1);
    host.gpus.push_back(gpu);
  }
  return host;
}

std::string run(const Case& c) {
  auto resolved =
      resolve_image(parse_request(c.request), parse_host(c.host), builtin_catalog(),
                    [&](const ImageEntry& image) { return image.reference == c.local; });
  if (!resolved) return "error: " + resolved.error().message;
  return resolved->chosen->reference;
}

}  // namespace

TEST_CASE("the resolver picks the image that runs on this host", "[resolve][resolver]") {
  const Case cases[] = {
      // PyTorch, official images: the newest that fits, across drivers (minor-version
      // compatibility for pip-wheel images).
      {"pytorch", "595.45.04 sm_90", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch", "580.65.06 sm_90", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch", "575.57.08 sm_90", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "535.104.05 sm_80", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "525.60.13 sm_80", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "525.60.12 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch", "470.82.01 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch", "450.80.02 sm_70", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch", "418.39", "", "error: PyTorch images need driver >= 580.65.06 (CUDA 13.2)"},
      // Architectures from Kepler to Blackwell.
      {"pytorch", "550.54.14 sm_37", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_50", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_60", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_61", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_70", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_75", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_86", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_89", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch", "575.57.08 sm_100", "", "pytorch/pytorch:2.11.0-cuda12.8-cudnn9-runtime"},
      {"pytorch", "570.124.06 sm_120", "", "pytorch/pytorch:2.11.0-cuda12.8-cudnn9-runtime"},
      {"pytorch", "580.65.06 sm_121", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch", "520.61.05 sm_120", "",
       "error: PyTorch images need driver >= 580.65.06 (CUDA 13.2) or driver >= 525.60.13 (CUDA "
       "12.8)"},
      // Every GPU must have kernels.
      {"pytorch", "550.54.14 sm_90 sm_60", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      // No image supports both Pascal and Blackwell: NGC 24.05's PTX would compile for Blackwell,
      // but its release notes stop at Ada (9.0), and NGC months with Blackwell start at Turing.
      {"pytorch", "550.54.14 sm_120 sm_60", "", "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch official", "550.54.14 sm_120 sm_60", "",
       "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch", "550.54.14 sm_37 sm_90", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_80 sm_80 sm_80 sm_80", "",
       "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      // Framework version constraints.
      {"pytorch 2.3", "550.54.14 sm_90", "", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.3.1", "550.54.14 sm_90", "", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.3.0", "550.54.14 sm_90", "", "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.3.2", "550.54.14 sm_90", "", "error: the catalog has no PyTorch 2.3.2 image"},
      {"pytorch >=2.1,<2.4", "550.54.14 sm_90", "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch >=2.1,<2.4", "470.82.01 sm_80", "",
       "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime"},
      {"pytorch <2.1", "550.54.14 sm_90", "", "pytorch/pytorch:2.0.1-cuda11.8-cudnn8-runtime"},
      {"pytorch 1.13", "550.54.14 sm_90", "", "error: GPU 0 (sm_90) has no kernels in it"},
      {"pytorch 1.13", "550.54.14 sm_86", "", "pytorch/pytorch:1.13.1-cuda11.7-cudnn8-runtime"},
      {"pytorch 1.13 devel", "550.54.14 sm_86", "", "pytorch/pytorch:1.13.1-cuda11.7-cudnn8-devel"},
      {"pytorch 1.13 cuda=11.6", "550.54.14 sm_86", "",
       "pytorch/pytorch:1.13.1-cuda11.6-cudnn8-runtime"},
      {"pytorch 2.5", "550.54.14 sm_90", "", "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"},
      {"pytorch 2.5", "515.48.07 sm_90", "", "pytorch/pytorch:2.5.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.5 official", "570.124.06 sm_120", "",
       "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch 2.6", "515.48.07 sm_90", "", "pytorch/pytorch:2.6.0-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.6", "418.39 sm_90", "",
       "error: PyTorch 2.6 images need driver >= 525.60.13 (CUDA 12.6) or driver >= 450.80.02 "
       "(CUDA 11.8); this host has 418.39"},
      {"pytorch 2.99", "550.54.14 sm_90", "", "error: the catalog has no PyTorch 2.99 image"},
      {"pytorch >=3.0", "550.54.14", "", "error: the catalog has no PyTorch >=3.0 image"},
      // CUDA constraints.
      {"pytorch cuda=11.8", "550.54.14 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch cuda=>=12.4", "535.104.05 sm_80", "",
       "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch cuda=12.4", "550.54.14 sm_90", "", "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"},
      {"pytorch cuda=12.1", "550.54.14 sm_90", "", "pytorch/pytorch:2.5.1-cuda12.1-cudnn9-runtime"},
      {"pytorch cuda=<12", "550.54.14 sm_90", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch cuda=>=13", "580.65.06 sm_90", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch cuda=>=13", "575.57.08 sm_90", "",
       "error: PyTorch with CUDA >=13 images need driver >= 580.65.06 (CUDA 13.2)"},
      {"pytorch 2.7 cuda=12.8", "570.124.06 sm_120", "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7 cuda=12.8 official", "570.124.06 sm_70", "",
       "error: GPU 0 (sm_70) has no kernels in it"},
      // Variants.
      {"pytorch devel", "550.54.14 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-devel"},
      {"pytorch devel", "595.45.04 sm_80", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-devel"},
      {"pytorch devel", "525.60.13 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-devel"},
      {"pytorch devel", "470.82.01 sm_80", "",
       "error: PyTorch images need driver >= 595.45.04 (CUDA 13.2) or driver >= 580.65.06 (CUDA "
       "13.0) or driver >= 560.28.03 (CUDA 12.6); this host has 470.82.01"},
      // NGC: chosen where the official images do not fit, or when asked for.
      // NGC 24.10 (PyTorch 2.5) does not list Blackwell, and 25.03 no longer lists Volta: the
      // kernels the catalog infers for them qualify neither.
      {"pytorch 2.5", "570.124.06 sm_120", "", "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch 2.7 cuda=12.8", "570.124.06 sm_70", "",
       "error: GPU 0 (sm_70) has no kernels in it"},
      {"pytorch ngc", "595.45.04 sm_90", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc 2.10", "595.45.04 sm_90", "", "nvcr.io/nvidia/pytorch:26.01-py3"},
      {"pytorch ngc", "560.35.03 sm_80", "", "nvcr.io/nvidia/pytorch:24.12-py3"},
      // CUDA forward compatibility: data-center GPUs on the branches an image names.
      {"pytorch devel", "470.82.01 sm_80/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      {"pytorch ngc", "535.104.05 sm_90/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      {"pytorch ngc", "535.104.05 sm_90/nvidia", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      // A consumer GPU on R535 gets the newest month built for R535 itself (23.10, CUDA 12.2).
      {"pytorch ngc", "535.104.05 sm_89/geforce", "", "nvcr.io/nvidia/pytorch:23.10-py3"},
      {"pytorch ngc", "535.104.05 sm_90/tesla sm_90/geforce", "",
       "nvcr.io/nvidia/pytorch:23.10-py3"},
      {"pytorch ngc", "530.30.02 sm_90/tesla", "", "nvcr.io/nvidia/pytorch:23.04-py3"},
      {"pytorch ngc", "520.61.05 sm_89/geforce", "",
       "error: PyTorch images need driver >= 610.43.02 (CUDA 13.3)"},
      // Python.
      {"pytorch python=3.12", "595.45.04 sm_90", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch python=3.11", "595.45.04 sm_90", "",
       "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"},
      {"pytorch python=3.10", "595.45.04 sm_90", "",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch ngc python=3.12", "595.45.04 sm_90", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc", "610.43.02 sm_90", "", "nvcr.io/nvidia/pytorch:26.06-py3"},
      // 24.06 moved to CUDA 12.5 (driver 555): on 550 the newest Python 3.10 month is 24.05.
      {"pytorch ngc python=3.10", "550.54.14 sm_90", "", "nvcr.io/nvidia/pytorch:24.05-py3"},
      {"pytorch ngc python=3.10", "555.42.02 sm_90", "", "nvcr.io/nvidia/pytorch:24.07-py3"},
      {"pytorch python=>=3.11 cuda=12.8", "570.124.06 sm_90", "",
       "pytorch/pytorch:2.11.0-cuda12.8-cudnn9-runtime"},
      {"pytorch ngc python=>=3.11 cuda=12.8", "570.124.06 sm_90", "",
       "nvcr.io/nvidia/pytorch:25.03-py3"},
      {"pytorch python=3.9", "550.54.14 sm_90", "",
       "error: the catalog has no PyTorch with Python 3.9 image"},
      // Images already on the engine come first, if they fit.
      {"pytorch", "550.54.14 sm_90", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch", "470.82.01 sm_90", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.8", "550.54.14 sm_90", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
       "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"},
      {"pytorch", "550.54.14 sm_90", "nvcr.io/nvidia/pytorch:24.05-py3",
       "nvcr.io/nvidia/pytorch:24.05-py3"},
      // A host dlrun cannot see: no driver, no GPUs known.
      {"pytorch", "-", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch 2.2", "-", "", "pytorch/pytorch:2.2.2-cuda12.1-cudnn8-runtime"},
      {"pytorch", "- sm_37", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      // TensorFlow: images FROM nvidia/cuda need the toolkit's driver.
      {"tensorflow", "595.45.04 sm_90", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "550.54.14 sm_90", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "535.104.05 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "525.85.12 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "470.82.01 sm_80", "",
       "error: TensorFlow images need driver >= 545.23.06 (CUDA 12.3)"},
      // R470 runs the newest NGC month (TensorFlow 2.17) on a data-center GPU; 2.11 only in 23.01.
      {"tensorflow", "470.82.01 sm_80/tesla", "", "nvcr.io/nvidia/tensorflow:25.02-tf2-py3"},
      {"tensorflow 2.11", "470.82.01 sm_80/tesla", "", "nvcr.io/nvidia/tensorflow:23.01-tf2-py3"},
      {"tensorflow", "595.45.04 sm_35", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "595.45.04 sm_37", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "595.45.04 sm_50", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow", "595.45.04 sm_89", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_120", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow 2.16", "550.54.14 sm_90", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow 2.18", "550.54.14 sm_90", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.12", "550.54.14 sm_120", "", "tensorflow/tensorflow:2.12.0-gpu"},
      {"tensorflow 2.10", "550.54.14 sm_90", "", "error: the catalog has no TensorFlow 2.10 image"},
      // 2.15.0's image finds no GPU; its rebuild, 2.15.0.post1 (CUDA 12.3), is the 2.15 to run.
      {"tensorflow 2.15", "550.54.14 sm_90", "", "tensorflow/tensorflow:2.15.0.post1-gpu"},
      {"tensorflow 2.15.0", "550.54.14 sm_80", "", "tensorflow/tensorflow:2.15.0.post1-gpu"},
      {"tensorflow 2.15", "535.54.03 sm_80", "",
       "error: TensorFlow in this image cannot use a GPU: it finds no GPU in the published "
       "2.15.0-gpu image (the 2.14 image works on the same host) "
       "(tensorflow/tensorflow:2.15.0-gpu); "
       "the other TensorFlow 2.15 images need driver >= 545.23.06 (CUDA 12.3)"},
      // JAX (NGC).
      {"jax", "560.35.03 sm_90", "", "nvcr.io/nvidia/jax:24.10-py3"},
      {"jax", "575.51.03 sm_90", "", "nvcr.io/nvidia/jax:25.04-py3"},
      {"jax", "550.54.14 sm_90", "", "nvcr.io/nvidia/jax:24.04-py3"},
      {"jax", "545.23.06 sm_90", "",
       "error: JAX images need driver >= 575 (CUDA 12.9) or driver >= 560 (CUDA 12.6) or driver >= "
       "550.54.14 (CUDA 12.4); this host has 545.23.06"},
      {"jax 0.4.26", "545.23.06 sm_90/tesla", "", "nvcr.io/nvidia/jax:24.04-py3"},
      {"tensorflow ngc 2.15", "550.54.14 sm_80", "", "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"},
      {"tensorflow ngc 2.14", "545.23.06 sm_80", "", "nvcr.io/nvidia/tensorflow:23.12-tf2-py3"},
      {"tensorflow ngc 2.14", "535.104.05 sm_80/geforce", "",
       "error: TensorFlow 2.14 images need driver >= 545 (CUDA 12.3)"},
      {"jax 0.5", "575.51.03 sm_90", "", "nvcr.io/nvidia/jax:25.04-py3"},
      {"jax 0.5", "560.35.03 sm_90", "", "error: JAX 0.5 images need driver >= 575 (CUDA 12.9)"},
      {"jax 0.4", "575.51.03 sm_90", "", "nvcr.io/nvidia/jax:24.10-py3"},
      {"jax 0.6", "575.51.03 sm_90", "", "error: the catalog has no JAX 0.6 image"},
      {"jax", "570.124.06 sm_52", "",
       "error: GPU 0 (sm_52) is not among the GPUs its release notes support"},
      // Plain CUDA: the toolkit must be able to compile for every GPU.
      {"cuda", "595.45.04 sm_90", "", "nvidia/cuda:13.1.1-cudnn-runtime-ubuntu24.04"},
      {"cuda", "580.65.06 sm_90", "", "nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04"},
      {"cuda", "550.54.14 sm_90", "", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"},
      {"cuda", "535.104.05 sm_90", "", "nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04"},
      {"cuda", "535.104.05 sm_90/tesla", "", "nvidia/cuda:13.1.1-cudnn-runtime-ubuntu24.04"},
      {"cuda", "470.82.01 sm_80", "", "error: CUDA images need driver >= 590.44.01 (CUDA 13.1)"},
      {"cuda", "470.82.01 sm_80/tesla", "", "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04"},
      {"cuda 12.8 devel", "570.124.06 sm_120", "", "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04"},
      {"cuda", "550.54.14 sm_120", "", "error: CUDA images need driver >= 590.44.01 (CUDA 13.1)"},
      {"cuda 12.4", "550.54.14 sm_120", "",
       "error: CUDA 12.4 cannot compile for GPU 0 (sm_120); that needs CUDA >= 12.8"},
      {"cuda", "595.45.04 sm_61", "", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04"},
      {"cuda 13", "595.45.04 sm_61", "",
       "error: CUDA 13.1 cannot compile for GPU 0 (sm_61); CUDA 12.9 was the last for it"},
      {"cuda", "595.45.04 sm_35", "", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"},
      {"cuda", "- sm_90", "", "nvidia/cuda:13.1.1-cudnn-runtime-ubuntu24.04"},
  };
  STATIC_REQUIRE(sizeof(cases) / sizeof(cases[0]) >= 63);
  for (const auto& c : cases) {
    INFO(c.request << " on " << c.host << (*c.local ? " with " : "") << c.local);
    const std::string result = run(c);
    const std::string expected = c.expected;
    if (expected.starts_with("error: ")) {
      CHECK(result.substr(0, expected.size()) == expected);
    } else {
      CHECK(result == expected);
    }
  }
}

TEST_CASE("each release's CUDA variants are chosen by the driver and the GPUs",
          "[resolve][resolver]") {
  // Runtime images need the minor-version-compatibility floor of their CUDA major (450.80.02,
  // 525.60.13, 580.65.06); devel images the toolkit's own driver (CUDA release notes Table 3).
  const Case cases[] = {
      // 2.3: CUDA 11.8 and 12.1.
      {"pytorch 2.3", "470.82.01 sm_80", "", "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.3", "450.80.02 sm_80", "", "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.3", "525.60.12 sm_80", "", "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.3", "525.60.13 sm_80", "", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.3", "535.104.05 sm_80", "", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.3", "450.80.01 sm_80", "",
       "error: PyTorch 2.3 images need driver >= 525.60.13 (CUDA 12.1) or driver >= 450.80.02 "
       "(CUDA 11.8); this host has 450.80.01"},
      {"pytorch 2.3 devel", "470.82.01 sm_80", "",
       "error: PyTorch 2.3 images need driver >= 530.30.02 (CUDA 12.1) or driver >= 520.61.05 "
       "(CUDA 11.8); this host has 470.82.01"},
      {"pytorch 2.3 devel", "520.61.05 sm_80", "", "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-devel"},
      {"pytorch 2.3 devel", "525.60.13 sm_80", "", "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-devel"},
      {"pytorch 2.3 devel", "530.30.02 sm_80", "", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-devel"},
      {"pytorch 2.3 cuda=11.8", "550.54.14 sm_90", "",
       "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime"},
      // 2.4 and 2.5: CUDA 11.8, 12.1 and 12.4.
      {"pytorch 2.4", "470.82.01 sm_90", "", "pytorch/pytorch:2.4.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.4", "525.60.13 sm_90", "", "pytorch/pytorch:2.4.1-cuda12.4-cudnn9-runtime"},
      {"pytorch 2.4 devel", "520.61.05 sm_90", "", "pytorch/pytorch:2.4.1-cuda11.8-cudnn9-devel"},
      {"pytorch 2.4 devel", "535.104.05 sm_90", "", "pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel"},
      {"pytorch 2.4 devel", "550.54.14 sm_90", "", "pytorch/pytorch:2.4.1-cuda12.4-cudnn9-devel"},
      {"pytorch 2.4", "550.54.14 sm_37 sm_90", "", "pytorch/pytorch:2.4.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.5", "470.82.01 sm_80", "", "pytorch/pytorch:2.5.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.5 cuda=12.1", "550.54.14 sm_80", "",
       "pytorch/pytorch:2.5.1-cuda12.1-cudnn9-runtime"},
      {"pytorch 2.5 devel", "545.23.06 sm_80", "", "pytorch/pytorch:2.5.1-cuda12.1-cudnn9-devel"},
      {"pytorch 2.5 devel", "550.54.15 sm_80", "", "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel"},
      {"pytorch 2.5 official", "550.54.14 sm_35", "", "error: GPU 0 (sm_35) has no kernels in it"},
      // 2.6: CUDA 11.8, 12.4 and 12.6.
      {"pytorch 2.6", "470.82.01 sm_80", "", "pytorch/pytorch:2.6.0-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.6", "525.60.13 sm_80", "", "pytorch/pytorch:2.6.0-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.6 devel", "555.42.02 sm_80", "", "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-devel"},
      {"pytorch 2.6 devel", "560.28.03 sm_80", "", "pytorch/pytorch:2.6.0-cuda12.6-cudnn9-devel"},
      {"pytorch 2.6 devel", "515.48.07 sm_80", "",
       "error: PyTorch 2.6 images need driver >= 560.28.03 (CUDA 12.6) or driver >= 550.54.14 "
       "(CUDA 12.4) or driver >= 520.61.05 (CUDA 11.8)"},
      {"pytorch 2.6 official", "570.124.06 sm_120", "",
       "error: GPU 0 (sm_120) has no kernels in it"},
      // 2.7: CUDA 11.8, 12.6 and 12.8 (the first with Blackwell, and without Maxwell to Volta).
      {"pytorch 2.7", "470.82.01 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.7", "525.60.13 sm_80", "", "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7", "525.60.13 sm_70", "", "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.7", "525.60.13 sm_50", "", "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.7", "525.60.12 sm_37", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.7", "550.54.14 sm_37", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.7", "550.54.14 sm_120", "", "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7", "570.124.06 sm_100", "", "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7 devel", "525.60.13 sm_80", "", "pytorch/pytorch:2.7.1-cuda11.8-cudnn9-devel"},
      {"pytorch 2.7 devel", "560.35.03 sm_80", "", "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-devel"},
      {"pytorch 2.7 devel", "570.124.06 sm_120", "", "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-devel"},
      {"pytorch 2.7 devel", "560.35.03 sm_120", "",
       "error: PyTorch 2.7 images need driver >= 570.26 (CUDA 12.8); this host has 560.35.03"},
      {"pytorch 2.7 cuda=12.6 official", "570.124.06 sm_100", "",
       "error: GPU 0 (sm_100) has no kernels in it"},
      // 2.8: CUDA 12.6, 12.8 and 12.9 (12.8 and 12.9 keep Volta). Whether the 12.9 build (and
      // 2.9/2.10's 13.0) kept its 12.0 PTX is not settled, so the fully stated 12.8 build ranks
      // first where both fit.
      {"pytorch 2.8", "525.60.13 sm_70", "", "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.8 cuda=12.9", "525.60.13 sm_70", "",
       "pytorch/pytorch:2.8.0-cuda12.9-cudnn9-runtime"},
      {"pytorch 2.8", "525.60.13 sm_61", "", "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.8 devel", "560.28.03 sm_90", "", "pytorch/pytorch:2.8.0-cuda12.6-cudnn9-devel"},
      {"pytorch 2.8 devel", "570.124.06 sm_90", "", "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-devel"},
      {"pytorch 2.8 devel", "575.51.03 sm_90", "", "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-devel"},
      // 2.9 and 2.10: CUDA 12.6, 12.8 and 13.0.
      {"pytorch 2.9", "575.57.08 sm_90", "", "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.9", "580.65.06 sm_90", "", "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.9", "580.65.06 sm_61", "", "pytorch/pytorch:2.9.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.9", "580.65.06 sm_121", "", "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.9.0", "580.65.06 sm_121", "", "pytorch/pytorch:2.9.0-cuda13.0-cudnn9-runtime"},
      {"pytorch 2.9 devel", "560.28.03 sm_61", "", "pytorch/pytorch:2.9.1-cuda12.6-cudnn9-devel"},
      {"pytorch 2.10", "575.57.08 sm_70", "", "pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.10", "580.65.06 sm_70", "", "pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.10 devel", "580.65.06 sm_90", "", "pytorch/pytorch:2.10.0-cuda12.8-cudnn9-devel"},
      // 2.11 to 2.13: CUDA 12.6 keeps Maxwell to Volta; 12.8 and 13.x start at Turing.
      {"pytorch 2.11", "575.57.08 sm_70", "", "pytorch/pytorch:2.11.0-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.11", "575.57.08 sm_90", "", "pytorch/pytorch:2.11.0-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.11", "580.65.06 sm_90", "", "pytorch/pytorch:2.11.0-cuda13.0-cudnn9-runtime"},
      {"pytorch 2.12", "575.57.08 sm_90", "", "pytorch/pytorch:2.12.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.12", "595.45.04 sm_90", "", "pytorch/pytorch:2.12.1-cuda13.2-cudnn9-runtime"},
      {"pytorch 2.12 devel", "590.48.01 sm_90", "", "pytorch/pytorch:2.12.1-cuda13.0-cudnn9-devel"},
      {"pytorch 2.13 devel", "595.45.04 sm_90", "", "pytorch/pytorch:2.13.0-cuda13.2-cudnn9-devel"},
      {"pytorch 2.13", "560.35.03 sm_61", "", "pytorch/pytorch:2.13.0-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.13 official", "560.35.03 sm_120", "",
       "error: PyTorch 2.13 images need driver >= 580.65.06 (CUDA 13.2); this host has "
       "560.35.03"},
      {"pytorch 2.13", "580.65.06 sm_50 sm_90", "",
       "pytorch/pytorch:2.13.0-cuda12.6-cudnn9-runtime"},
      // 1.13 to 2.2.
      {"pytorch 1.13 cuda=11.7 runtime", "550.54.14 sm_86", "",
       "pytorch/pytorch:1.13.1-cuda11.7-cudnn8-runtime"},
      {"pytorch 1.13 devel", "510.47.03 sm_86", "", "pytorch/pytorch:1.13.1-cuda11.6-cudnn8-devel"},
      {"pytorch 2.0", "550.54.14 sm_90", "", "pytorch/pytorch:2.0.1-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.0 cuda=11.7", "550.54.14 sm_90", "", "error: GPU 0 (sm_90) has no kernels in it"},
      {"pytorch 2.0 devel", "515.48.07 sm_80", "", "pytorch/pytorch:2.0.1-cuda11.7-cudnn8-devel"},
      {"pytorch 2.0 devel", "550.54.14 sm_90", "", "pytorch/pytorch:2.0.1-cuda11.8-cudnn8-devel"},
      {"pytorch 2.1", "470.82.01 sm_80", "", "pytorch/pytorch:2.1.2-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.1", "525.60.13 sm_80", "", "pytorch/pytorch:2.1.2-cuda12.1-cudnn8-runtime"},
      {"pytorch 2.2", "470.82.01 sm_37", "", "pytorch/pytorch:2.2.2-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.2", "550.54.14 sm_37", "", "pytorch/pytorch:2.2.2-cuda11.8-cudnn8-runtime"},
      {"pytorch 2.2 devel", "525.60.13 sm_80", "", "pytorch/pytorch:2.2.2-cuda11.8-cudnn8-devel"},
      {"pytorch 2.2 devel", "530.30.02 sm_80", "", "pytorch/pytorch:2.2.2-cuda12.1-cudnn8-devel"},
  };
  STATIC_REQUIRE(sizeof(cases) / sizeof(cases[0]) >= 60);
  for (const auto& c : cases) {
    INFO(c.request << " on " << c.host);
    const std::string result = run(c);
    const std::string expected = c.expected;
    if (expected.starts_with("error: ")) {
      CHECK(result.substr(0, expected.size()) == expected);
    } else {
      CHECK(result == expected);
    }
  }
}

TEST_CASE("each build is chosen where only it fits, for every GPU generation",
          "[resolve][resolver]") {
  // Drivers at and just below each CUDA's own floor (CUDA release notes Table 3), GPUs from
  // Maxwell to Blackwell against the releases that added or dropped them, and NGC months against
  // the GPUs their release notes support (data/ngc-release-notes.json).
  const Case cases[] = {
      // Plain CUDA: each toolkit is chosen at its own driver floor, and refused one below it.
      {"cuda devel", "520.61.05 sm_80", "", "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"},
      {"cuda runtime", "520.61.05 sm_80", "", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"},
      {"cuda 11.8 devel", "520.61.04 sm_80", "",
       "error: CUDA 11.8 images need driver >= 520.61.05 (CUDA 11.8)"},
      {"cuda devel", "525.60.13 sm_80", "", "nvidia/cuda:12.0.1-cudnn8-devel-ubuntu22.04"},
      {"cuda runtime", "525.60.13 sm_80", "", "nvidia/cuda:12.0.1-cudnn8-runtime-ubuntu22.04"},
      {"cuda 12.0 devel", "525.60.12 sm_80", "",
       "error: CUDA 12.0 images need driver >= 525.60.13 (CUDA 12.0)"},
      {"cuda devel", "530.30.02 sm_80", "", "nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04"},
      {"cuda runtime", "530.30.02 sm_80", "", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04"},
      {"cuda 12.1 devel", "530.30.01 sm_80", "",
       "error: CUDA 12.1 images need driver >= 530.30.02 (CUDA 12.1)"},
      {"cuda devel", "535.54.03 sm_80", "", "nvidia/cuda:12.2.2-cudnn8-devel-ubuntu22.04"},
      {"cuda runtime", "535.54.03 sm_80", "", "nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04"},
      {"cuda 12.2 devel", "535.54.02 sm_80", "",
       "error: CUDA 12.2 images need driver >= 535.54.03 (CUDA 12.2)"},
      {"cuda devel", "545.23.06 sm_80", "", "nvidia/cuda:12.3.2-cudnn9-devel-ubuntu22.04"},
      {"cuda runtime", "545.23.06 sm_80", "", "nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04"},
      {"cuda 12.3 devel", "545.23.05 sm_80", "",
       "error: CUDA 12.3 images need driver >= 545.23.06 (CUDA 12.3)"},
      {"cuda devel", "550.54.14 sm_80", "", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"},
      {"cuda runtime", "550.54.14 sm_80", "", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"},
      {"cuda 12.4 devel", "550.54.13 sm_80", "",
       "error: CUDA 12.4 images need driver >= 550.54.14 (CUDA 12.4)"},
      {"cuda devel", "555.42.02 sm_80", "", "nvidia/cuda:12.5.1-cudnn-devel-ubuntu22.04"},
      {"cuda runtime", "555.42.02 sm_80", "", "nvidia/cuda:12.5.1-cudnn-runtime-ubuntu22.04"},
      {"cuda 12.5 devel", "555.42.01 sm_80", "",
       "error: CUDA 12.5 images need driver >= 555.42.02 (CUDA 12.5)"},
      {"cuda devel", "560.28.03 sm_80", "", "nvidia/cuda:12.6.3-cudnn-devel-ubuntu24.04"},
      {"cuda runtime", "560.28.03 sm_80", "", "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04"},
      {"cuda 12.6 devel", "560.28.02 sm_80", "",
       "error: CUDA 12.6 images need driver >= 560.28.03 (CUDA 12.6)"},
      {"cuda devel", "570.26 sm_80", "", "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04"},
      {"cuda runtime", "570.26 sm_80", "", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04"},
      {"cuda 12.8 devel", "570.25 sm_80", "",
       "error: CUDA 12.8 images need driver >= 570.26 (CUDA 12.8)"},
      {"cuda devel", "575.51.03 sm_80", "", "nvidia/cuda:12.9.1-cudnn-devel-ubuntu24.04"},
      {"cuda runtime", "575.51.03 sm_80", "", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04"},
      {"cuda 12.9 devel", "575.51.02 sm_80", "",
       "error: CUDA 12.9 images need driver >= 575.51.03 (CUDA 12.9)"},
      {"cuda devel", "580.65.06 sm_80", "", "nvidia/cuda:13.0.0-cudnn-devel-ubuntu24.04"},
      {"cuda runtime", "580.65.06 sm_80", "", "nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04"},
      {"cuda 13.0 devel", "580.65.05 sm_80", "",
       "error: CUDA 13.0 images need driver >= 580.65.06 (CUDA 13.0)"},
      {"cuda devel", "590.44.01 sm_80", "", "nvidia/cuda:13.1.1-cudnn-devel-ubuntu24.04"},
      {"cuda runtime", "590.44.01 sm_80", "", "nvidia/cuda:13.1.1-cudnn-runtime-ubuntu24.04"},
      {"cuda 13.1 devel", "590.44.00 sm_80", "",
       "error: CUDA 13.1 images need driver >= 590.44.01 (CUDA 13.1)"},
      // CUDA forward compatibility: data-center GPUs only, on the branches each image names.
      {"cuda devel", "470.82.01 sm_80/tesla", "", "nvidia/cuda:12.6.3-cudnn-devel-ubuntu24.04"},
      {"cuda devel", "470.82.01 sm_80/geforce", "",
       "error: CUDA images need driver >= 590.44.01 (CUDA 13.1) or driver >= 580.65.06 (CUDA 13.0) "
       "or driver >= 575.51.03 (CUDA 12.9)"},
      {"cuda devel", "525.85.12 sm_90/tesla", "", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"},
      {"cuda devel", "525.85.12 sm_90/nvidia", "", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"},
      {"cuda devel", "525.85.12 sm_89/quadro", "", "nvidia/cuda:12.0.1-cudnn8-devel-ubuntu22.04"},
      {"cuda devel", "535.104.05 sm_90/tesla", "", "nvidia/cuda:13.1.1-cudnn-devel-ubuntu24.04"},
      {"cuda devel", "535.104.05 sm_90/geforcertx", "",
       "nvidia/cuda:12.2.2-cudnn8-devel-ubuntu22.04"},
      {"cuda devel", "550.54.14 sm_90/tesla", "", "nvidia/cuda:13.1.1-cudnn-devel-ubuntu24.04"},
      {"cuda devel", "550.54.14 sm_120/geforce", "",
       "error: CUDA images need driver >= 590.44.01 (CUDA 13.1) or driver >= 580.65.06 (CUDA 13.0) "
       "or driver >= 575.51.03 (CUDA 12.9)"},
      {"pytorch ngc", "470.82.01 sm_80/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      {"pytorch ngc", "535.104.05 sm_90/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      {"pytorch ngc", "535.104.05 sm_89/geforce", "", "nvcr.io/nvidia/pytorch:23.10-py3"},
      {"pytorch ngc", "545.23.06 sm_90/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      {"pytorch ngc", "525.85.12 sm_80/tesla", "", "nvcr.io/nvidia/pytorch:25.06-py3"},
      // R520 is in no month's forward-compatibility list (R515 and R525 are).
      {"pytorch ngc", "520.61.05 sm_80/tesla", "",
       "error: PyTorch images need driver >= 610.43.02 (CUDA 13.3) or driver >= 595.45.04 (CUDA "
       "13.2) or driver >= 590.44.01 (CUDA 13.1)"},
      {"pytorch ngc", "515.65.01 sm_80/tesla", "", "nvcr.io/nvidia/pytorch:23.04-py3"},
      {"tensorflow ngc", "470.82.01 sm_80/tesla", "", "nvcr.io/nvidia/tensorflow:25.02-tf2-py3"},
      {"tensorflow ngc", "470.82.01 sm_80/geforce", "",
       "error: TensorFlow images need driver >= 570.26 (CUDA 12.8)"},
      {"tensorflow 2.11 ngc", "470.82.01 sm_80/geforce", "",
       "error: TensorFlow 2.11 images need driver >= 525 (CUDA 12.0)"},
      // Every GPU generation against official PyTorch 2.13, 2.7 (Blackwell in, Maxwell to Volta out
      // of CUDA 12.8) and 2.5.
      {"jax", "535.104.05 sm_90/tesla", "", "nvcr.io/nvidia/jax:25.04-py3"},
      {"jax 0.4", "535.104.05 sm_90/tesla", "", "nvcr.io/nvidia/jax:24.10-py3"},
      {"jax", "535.104.05 sm_90/geforce", "",
       "error: JAX images need driver >= 575 (CUDA 12.9) or driver >= 560 (CUDA 12.6)"},
      {"pytorch official", "595.45.04 sm_50", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_52", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_53", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_60", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_61", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_62", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_70", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_72", "", "pytorch/pytorch:2.14.1-cuda12.6-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_75", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_80", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_86", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_87", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_88", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_89", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_90", "", "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_100", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_103", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_110", "", "error: GPU 0 (sm_110) has no kernels in it"},
      {"pytorch official", "595.45.04 sm_120", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch official", "595.45.04 sm_121", "",
       "pytorch/pytorch:2.14.1-cuda13.2-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_50", "",
       "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_61", "",
       "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_70", "",
       "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_75", "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_90", "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_100", "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.7 official", "575.57.08 sm_120", "",
       "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"},
      {"pytorch 2.5 official", "575.57.08 sm_37", "",
       "pytorch/pytorch:2.5.1-cuda11.8-cudnn9-runtime"},
      {"pytorch 2.5 official", "575.57.08 sm_50", "",
       "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"},
      {"pytorch 2.5 official", "575.57.08 sm_90", "",
       "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"},
      // TensorFlow: Kepler leaves with 2.15, Maxwell with 2.18; each release's newest patch; each
      // CUDA at its driver.
      {"pytorch 2.5 official", "575.57.08 sm_100", "",
       "error: GPU 0 (sm_100) has no kernels in it"},
      {"pytorch 2.5 official", "575.57.08 sm_120", "",
       "error: GPU 0 (sm_120) has no kernels in it"},
      {"tensorflow", "595.45.04 sm_35", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "595.45.04 sm_37", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "595.45.04 sm_50", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow", "595.45.04 sm_52", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow", "595.45.04 sm_60", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_70", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_75", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_86", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_89", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_90", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_100", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "595.45.04 sm_120", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow 2.12", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.12.0-gpu"},
      {"tensorflow 2.13", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.13.0-gpu"},
      {"tensorflow 2.14", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      // 2.15.0's image finds no GPU: its rebuild, then NGC's.
      {"tensorflow 2.15", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.15.0.post1-gpu"},
      {"tensorflow 2.15 ngc", "595.45.04 sm_80", "", "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"},
      {"tensorflow 2.16", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow 2.17", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow 2.18", "595.45.04 sm_80", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.19", "595.45.04 sm_80", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.20", "595.45.04 sm_80", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.21", "595.45.04 sm_80", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.14", "595.45.04 sm_35", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow 2.15", "595.45.04 sm_35", "", "error: GPU 0 (sm_35) has no kernels in it"},
      {"tensorflow 2.15 ngc", "595.45.04 sm_35", "", "error: GPU 0 (sm_35) is not among the GPUs"},
      {"tensorflow 2.17", "595.45.04 sm_50", "", "error: GPU 0 (sm_50) has no kernels in it"},
      {"tensorflow 2.16", "595.45.04 sm_50", "", "tensorflow/tensorflow:2.16.2-gpu"},
      {"tensorflow 2.17", "595.45.04 sm_89", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow 2.18", "595.45.04 sm_50", "",
       "error: TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9"},
      {"tensorflow 2.16.1", "595.45.04 sm_80", "", "tensorflow/tensorflow:2.16.1-gpu"},
      {"tensorflow 2.18.1", "595.45.04 sm_80", "",
       "error: the catalog has no TensorFlow 2.18.1 image"},
      {"tensorflow 2.19.1", "595.45.04 sm_80", "",
       "error: the catalog has no TensorFlow 2.19.1 image"},
      {"tensorflow", "520.61.05 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "535.54.03 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"tensorflow", "545.23.06 sm_80", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "555.42.02 sm_80", "", "tensorflow/tensorflow:2.17.0-gpu"},
      // NGC before (24.x: Pascal to Ada) and after (25.01 on: Turing to Blackwell) Blackwell
      // support.
      {"tensorflow", "555.42.01 sm_80", "", "tensorflow/tensorflow:2.17.0-gpu"},
      {"tensorflow", "545.23.05 sm_80", "", "tensorflow/tensorflow:2.14.0-gpu"},
      {"pytorch ngc", "595.45.04 sm_60", "", "nvcr.io/nvidia/pytorch:24.12-py3"},
      {"pytorch ngc", "595.45.04 sm_70", "", "nvcr.io/nvidia/pytorch:24.12-py3"},
      {"pytorch ngc", "595.45.04 sm_75", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc", "595.45.04 sm_90", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc", "595.45.04 sm_100", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc", "595.45.04 sm_120", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch ngc", "595.45.04 sm_121", "", "nvcr.io/nvidia/pytorch:26.04-py3"},
      {"pytorch 2.5 ngc", "570.124.06 sm_120", "",
       "error: GPU 0 (sm_120) is not among the GPUs its release notes support (compute capability "
       "6.0 to 9.0)"},
      {"pytorch 2.5 ngc", "570.124.06 sm_100", "",
       "error: GPU 0 (sm_100) is not among the GPUs its release notes support (compute capability "
       "6.0 to 9.0)"},
      {"pytorch 2.5 ngc", "570.124.06 sm_90", "", "nvcr.io/nvidia/pytorch:24.10-py3"},
      {"pytorch 2.5 ngc", "570.124.06 sm_60", "", "nvcr.io/nvidia/pytorch:24.10-py3"},
      {"pytorch 2.6 ngc", "570.124.06 sm_120", "", "nvcr.io/nvidia/pytorch:25.01-py3"},
      {"pytorch 2.6 ngc", "570.124.06 sm_100", "", "nvcr.io/nvidia/pytorch:25.01-py3"},
      {"pytorch 2.6 ngc", "570.124.06 sm_90", "", "nvcr.io/nvidia/pytorch:25.01-py3"},
      {"pytorch 2.6 ngc", "570.124.06 sm_60", "", "nvcr.io/nvidia/pytorch:24.12-py3"},
      {"pytorch 2.5", "570.124.06 sm_120", "", "error: GPU 0 (sm_120) has no kernels in it"},
      {"pytorch 2.6 ngc", "570.124.06 sm_70", "", "nvcr.io/nvidia/pytorch:24.12-py3"},
      {"pytorch 2.4 ngc", "570.124.06 sm_100", "",
       "error: GPU 0 (sm_100) is not among the GPUs its release notes support (compute capability "
       "6.0 to 9.0)"},
      {"pytorch 2.8 ngc", "580.65.06 sm_70", "",
       "error: GPU 0 (sm_70) is not among the GPUs its release notes support (compute capability "
       "7.5 to 12.1)"},
      {"pytorch 2.8 ngc", "580.65.06 sm_120", "", "nvcr.io/nvidia/pytorch:25.08-py3"},
      // TensorFlow and JAX NGC: 24.x months stop at Hopper/Ada, 25.x months start at Turing.
      {"tensorflow ngc", "595.45.04 sm_120", "", "nvcr.io/nvidia/tensorflow:25.02-tf2-py3"},
      {"tensorflow ngc", "595.45.04 sm_70", "", "nvcr.io/nvidia/tensorflow:24.12-tf2-py3"},
      {"tensorflow 2.17 ngc", "595.45.04 sm_60", "", "nvcr.io/nvidia/tensorflow:24.12-tf2-py3"},
      {"tensorflow 2.11 ngc", "595.45.04 sm_120", "",
       "error: GPU 0 (sm_120) is not among the GPUs its release notes support (compute capability "
       "6.0 to 9.0, partly inferred)"},
      {"jax", "595.45.04 sm_120", "", "nvcr.io/nvidia/jax:25.04-py3"},
      {"jax", "595.45.04 sm_100", "", "nvcr.io/nvidia/jax:25.04-py3"},
      {"jax 0.4", "595.45.04 sm_120", "",
       "error: GPU 0 (sm_120) is not among the GPUs its release notes support (compute capability "
       "6.0 to 9.0, partly inferred)"},
      {"jax", "595.45.04 sm_60", "", "nvcr.io/nvidia/jax:24.10-py3"},
  };
  STATIC_REQUIRE(sizeof(cases) / sizeof(cases[0]) >= 142);
  for (const auto& c : cases) {
    INFO(c.request << " on " << c.host);
    const std::string result = run(c);
    const std::string expected = c.expected;
    if (expected.starts_with("error: ")) {
      CHECK(result.substr(0, expected.size()) == expected);
    } else {
      CHECK(result == expected);
    }
  }
}

TEST_CASE("refusals say what would run here", "[resolve][resolver]") {
  HostFacts old_driver;
  old_driver.driver = Version::parse("470.82.01");
  old_driver.cuda_driver = Version::parse("11.4");
  // 2.3 runs there from its CUDA 11.8 image; its devel images need the toolkits' drivers.
  FrameworkRequest pytorch_23{.name = "pytorch", .version = VersionConstraint::parse("2.3")};
  auto runs = resolve_image(pytorch_23, old_driver, builtin_catalog(),
                            [](const ImageEntry&) { return false; });
  REQUIRE(runs);
  CHECK(runs->chosen->reference == "pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime");
  CHECK(runs->reason == "the newest PyTorch image that fits this host (driver 470.82.01)");
  FrameworkRequest devel_23 = pytorch_23;
  devel_23.variant = Variant::devel;
  auto refused = resolve_image(devel_23, old_driver, builtin_catalog(),
                               [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "PyTorch 2.3 images need driver >= 530.30.02 (CUDA 12.1) or driver >= 520.61.05 (CUDA "
        "11.8); this host has 470.82.01");
  CHECK(refused.error().hint ==
        "upgrade the driver, or use PyTorch <= 2.7; data-center GPUs on R470 could run "
        "nvcr.io/nvidia/pytorch:24.04-py3 through CUDA forward compatibility (this host's GPUs "
        "are unknown)");

  HostFacts blackwell;
  blackwell.driver = Version::parse("570.124.06");
  blackwell.gpus.push_back(
      {0, "", "NVIDIA GeForce RTX 5090", "geforcertx", Version::parse("12.0"), 0});
  FrameworkRequest pytorch_25{.name = "pytorch",
                              .version = VersionConstraint::parse("2.5"),
                              .source = ImageSource::official};
  auto no_kernels = resolve_image(pytorch_25, blackwell, builtin_catalog(),
                                  [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(no_kernels);
  CHECK(no_kernels.error().message ==
        "GPU 0 (NVIDIA GeForce RTX 5090, sm_120) has no kernels in it (PyTorch 2.5: "
        "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime)");
  CHECK(no_kernels.error().hint == "use PyTorch >= 2.7 with CUDA >= 12.8");
}

TEST_CASE("a patch release the catalog lacks is answered with the ones of that minor it has",
          "[resolve][resolver]") {
  auto rows = parse_catalog(R"({"images": [
    {"framework": "pytorch", "version": "9.1.2", "cuda": "12.8", "variant": "runtime",
     "source_kind": "official", "reference": "pytorch/pytorch:9.1.2-cuda12.8-cudnn9-runtime",
     "sass": ["sm_90"], "driver_rule": "minor_version_compatibility", "source": "test"},
    {"framework": "pytorch", "version": "9.1.1", "cuda": "12.8", "variant": "runtime",
     "source_kind": "official", "reference": "pytorch/pytorch:9.1.1-cuda12.8-cudnn9-runtime",
     "sass": ["sm_90"], "driver_rule": "minor_version_compatibility", "source": "test"}]})",
                            "user.json");
  REQUIRE(rows);
  const Catalog catalog = merge_catalogs(builtin_catalog(), *rows);
  auto refused = resolve_image(parse_request("pytorch 9.1.0"), parse_host("570.124.06 sm_90"),
                               catalog, [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == "the catalog has no PyTorch 9.1.0 image");
  CHECK(refused.error().hint ==
        "the catalog has PyTorch 9.1 as 9.1.2 and 9.1.1: ask for \"9.1\" to take the newest 9.1 "
        "release, or give \"image\" explicitly");
  // A minor the catalog lacks altogether still lists the versions it has.
  auto unknown = resolve_image(parse_request("pytorch 9.2.0"), parse_host("570.124.06 sm_90"),
                               catalog, [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().hint.starts_with("versions in the catalog for PyTorch: 9.1, 2.14"));
}

TEST_CASE("a refusal names the constraint that found nothing, and lists only what fits the rest",
          "[resolve][resolver]") {
  // The catalog knows no Python for the official PyTorch 2.3 images.
  FrameworkRequest python_23{.name = "pytorch",
                             .version = VersionConstraint::parse("2.3"),
                             .python = VersionConstraint::parse("3.12")};
  auto refused = resolve_image(python_23, HostFacts{}, builtin_catalog(),
                               [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == "the catalog has no PyTorch 2.3 with Python 3.12 image");
  const std::string& hint = refused.error().hint;
  CHECK(hint.starts_with("versions in the catalog for PyTorch with Python 3.12: "));
  // Every version listed has a Python 3.12 image; 2.3, which has none, is not among them.
  CHECK(hint.find(" 2.3,") == std::string::npos);
  CHECK(hint.find(" 2.3;") == std::string::npos);
  for (const auto& image : builtin_catalog().images) {
    if (image.framework != "pytorch" || !image.python ||
        image.python->prefix(2).to_string() != "3.12")
      continue;
    CHECK(hint.find(image.version.prefix(2).to_string()) != std::string::npos);
  }
}

TEST_CASE("an old GPU is pointed at the newest build that still has its kernels",
          "[resolve][resolver]") {
  auto pascal =
      resolve_image(parse_request("pytorch 2.11 cuda=13.0"), parse_host("595.45.04 sm_61"),
                    builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(pascal);
  CHECK(pascal.error().message ==
        "GPU 0 (sm_61) has no kernels in it (PyTorch 2.11 with CUDA 13.0: "
        "pytorch/pytorch:2.11.0-cuda13.0-cudnn9-runtime)");
  // Only the CUDA constraint rules out the release: its CUDA 12.6 build still has Pascal.
  CHECK(pascal.error().hint ==
        "use PyTorch 2.11 with CUDA 12.6 (pytorch/pytorch:2.11.0-cuda12.6-cudnn9-runtime), which "
        "has kernels for this host's GPUs");

  auto kepler = resolve_image(parse_request("pytorch 2.13 official"), parse_host("595.45.04 sm_37"),
                              builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(kepler);
  CHECK(kepler.error().hint ==
        "use PyTorch 2.7 with CUDA 11.8 (pytorch/pytorch:2.7.1-cuda11.8-cudnn9-runtime), the "
        "newest that runs on this host's GPUs");

  auto toolkit = resolve_image(parse_request("cuda 13"), parse_host("595.45.04 sm_61"),
                               builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(toolkit);
  CHECK(toolkit.error().hint ==
        "use CUDA 12.9 (nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04), the newest that runs on "
        "this host's GPUs");
}

TEST_CASE("forward compatibility is used only where NVIDIA allows it, and said",
          "[resolve][resolver]") {
  const auto none_local = [](const ImageEntry&) { return false; };
  auto data_center = resolve_image(parse_request("cuda"), parse_host("535.104.05 sm_90/tesla"),
                                   builtin_catalog(), none_local);
  REQUIRE(data_center);
  CHECK(data_center->reason.ends_with(
      "; runs on R535 through CUDA forward compatibility (data-center GPUs)"));

  auto consumer = resolve_image(parse_request("cuda 13.1"), parse_host("535.104.05 sm_89/geforce"),
                                builtin_catalog(), none_local);
  REQUIRE_FALSE(consumer);
  CHECK(consumer.error().message ==
        "CUDA 13.1 images need driver >= 590.44.01 (CUDA 13.1); this host has 535.104.05");

  auto unknown = resolve_image(parse_request("cuda 13.1"), parse_host("535.104.05"),
                               builtin_catalog(), none_local);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().hint ==
        "upgrade the driver, or use CUDA <= 12.2; data-center GPUs on R535 could run "
        "nvidia/cuda:13.1.1-cudnn-runtime-ubuntu24.04 through CUDA forward compatibility (this "
        "host's GPUs are unknown)");
}

TEST_CASE("inferred catalog data is said in the reason", "[resolve][resolver]") {
  auto resolved = resolve_image(parse_request("pytorch 2.13"), parse_host("595.45.04 sm_90"),
                                builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE(resolved);
  CHECK(resolved->reason ==
        "the newest PyTorch image that fits this host (driver 595.45.04, sm_90); catalog data "
        "inferred: sass, ptx");
}

TEST_CASE("every candidate is explained", "[resolve][resolver]") {
  HostFacts host;
  host.driver = Version::parse("550.54.14");
  host.gpus.push_back({0, "", "", "", Version::parse("9.0"), 0});
  FrameworkRequest request{.name = "pytorch", .version = VersionConstraint::parse("2.5")};
  auto resolved =
      resolve_image(request, host, builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE(resolved);
  CHECK(resolved->reason ==
        "the newest PyTorch image that fits this host (driver 550.54.14, sm_90)");
  const auto pytorch_images =
      std::count_if(builtin_catalog().images.begin(), builtin_catalog().images.end(),
                    [](const ImageEntry& image) { return image.framework == "pytorch"; });
  CHECK(resolved->considered.size() == static_cast<std::size_t>(pytorch_images));
  CHECK(resolved->considered.front().rejections.empty());
  // Rejected ones last: official before NGC, newest first.
  CHECK(resolved->considered.back().image->reference == "nvcr.io/nvidia/pytorch:23.03-py3");
  CHECK(resolved->considered.back().rejections.front().message == "PyTorch 2.0.0 is not 2.5");
}

TEST_CASE("stated data ranks above inferred, and never loses a GPU to a guess",
          "[resolve][resolver]") {
  // One release in three builds: CUDA 12.4 stated; its devel image and the CUDA 12.6 and 12.8
  // builds with architecture lists that are only inferred, two of them wider than the truth.
  auto rows = parse_catalog(R"({"images": [
    {"framework": "pytorch", "version": "9.0.0", "cuda": "12.4", "variant": "runtime",
     "source_kind": "official", "reference": "r/p:9.0.0-cuda12.4-runtime", "sass": ["sm_80"],
     "driver_rule": "minor_version_compatibility", "source": "observed"},
    {"framework": "pytorch", "version": "9.0.0", "cuda": "12.4", "variant": "devel",
     "source_kind": "official", "reference": "r/p:9.0.0-cuda12.4-devel",
     "sass": ["sm_70", "sm_80"], "driver_rule": "toolkit", "inferred": ["sass"],
     "source": "assumed"},
    {"framework": "pytorch", "version": "9.0.0", "cuda": "12.6", "variant": "runtime",
     "source_kind": "official", "reference": "r/p:9.0.0-cuda12.6-runtime",
     "sass": ["sm_80", "sm_90"], "driver_rule": "minor_version_compatibility",
     "inferred": ["sass"], "source": "assumed"},
    {"framework": "pytorch", "version": "9.0.0", "cuda": "12.8", "variant": "runtime",
     "source_kind": "official", "reference": "r/p:9.0.0-cuda12.8-runtime",
     "sass": ["sm_37", "sm_90"], "driver_rule": "minor_version_compatibility",
     "inferred": ["sass"], "source": "assumed"}]})",
                            "user.json");
  REQUIRE(rows);
  const Catalog catalog = merge_catalogs(builtin_catalog(), *rows);
  const auto choose = [&](const char* request, const char* host) {
    auto resolved = resolve_image(parse_request(request), parse_host(host), catalog,
                                  [](const ImageEntry&) { return false; });
    return resolved ? resolved->chosen->reference : "error: " + resolved.error().message;
  };
  // Both fit an A100: the stated CUDA 12.4 build wins over the newer, inferred 12.6 one.
  CHECK(choose("pytorch 9.0", "560.35.03 sm_80") == "r/p:9.0.0-cuda12.4-runtime");
  // Only the inferred one has Hopper kernels: it is chosen, and says so.
  auto hopper = resolve_image(parse_request("pytorch 9.0"), parse_host("560.35.03 sm_90"), catalog,
                              [](const ImageEntry&) { return false; });
  REQUIRE(hopper);
  CHECK(hopper->chosen->reference == "r/p:9.0.0-cuda12.8-runtime");
  CHECK(hopper->reason.ends_with("; catalog data inferred: sass"));
  // The devel image's guessed sm_70 is overruled by the stated runtime build of the same CUDA.
  CHECK(
      choose("pytorch 9.0 devel", "560.35.03 sm_70")
          .starts_with(
              "error: GPU 0 (sm_70) has no kernels in it (PyTorch 9.0: r/p:9.0.0-cuda12.4-devel)"));
  CHECK(choose("pytorch 9.0 devel", "560.35.03 sm_80") == "r/p:9.0.0-cuda12.4-devel");
  // CUDA 12 cannot compile for Kepler (the architectures table), so a guessed sm_37 counts for
  // nothing.
  CHECK(choose("pytorch 9.0 cuda=12.8", "560.35.03 sm_37")
            .starts_with("error: GPU 0 (sm_37) has no kernels in it"));
}

namespace {

// An NGC devel build of the fictional PyTorch 9.2 from `month` ("98.09"), on `cuda`.
std::string ngc_pytorch_row(const std::string& month, const std::string& cuda) {
  return R"({"framework": "pytorch", "version": "9.2.0", "cuda": ")" + cuda +
         R"(", "python": "3.10", "variant": "devel", "source_kind": "ngc",
             "reference": "nvcr.io/nvidia/pytorch:)" +
         month + R"(-py3", "sass": ["sm_80", "sm_90"], "ptx": "sm_90",
             "driver_rule": "toolkit", "inferred": ["sass", "ptx"], "source": "notes"})";
}

// What "pytorch 9.2" resolves to on an sm_90 host with these rows added to the catalog: the
// chosen image, then the others considered, in rank order.
std::vector<std::string> ranked_pytorch_92_with(const std::vector<std::string>& rows) {
  std::string images;
  for (const auto& row : rows) images += (images.empty() ? "" : ",") + row;
  auto parsed = parse_catalog(R"({"images": [)" + images + "]}", "user.json");
  REQUIRE(parsed);
  const Catalog catalog = merge_catalogs(builtin_catalog(), *parsed);
  const auto resolved = resolve_image(parse_request("pytorch 9.2"), parse_host("560.35.03 sm_90"),
                                      catalog, [](const ImageEntry&) { return false; });
  REQUIRE(resolved);
  std::vector<std::string> ranked{resolved->chosen->reference};
  for (const auto& considered : resolved->considered) {
    if (considered.image->reference != ranked.front())
      ranked.push_back(considered.image->reference);
  }
  return ranked;
}

}  // namespace

TEST_CASE("NGC builds equal in all else are ranked by month, not by catalog order",
          "[resolve][resolver]") {
  // Two months of one release on one CUDA and Python (as NGC 23.12 and 24.01 are): the later
  // build wins whichever row the catalog lists first.
  const std::string september = ngc_pytorch_row("98.09", "12.4");
  const std::string october = ngc_pytorch_row("98.10", "12.4");
  for (const auto& rows : {std::vector{september, october}, std::vector{october, september}}) {
    INFO(rows[0]);
    const auto ranked = ranked_pytorch_92_with(rows);
    REQUIRE(ranked.size() >= 2);
    CHECK(ranked[0] == "nvcr.io/nvidia/pytorch:98.10-py3");
    CHECK(ranked[1] == "nvcr.io/nvidia/pytorch:98.09-py3");
  }
  // The month is the last word: a newer month with an older CUDA still loses.
  CHECK(ranked_pytorch_92_with({september, ngc_pytorch_row("98.11", "12.3")}).front() ==
        "nvcr.io/nvidia/pytorch:98.09-py3");
}

TEST_CASE("a GPU the release notes exclude is refused whatever kernels are inferred",
          "[resolve][resolver]") {
  // Inferred PTX for 9.0 would compile for Blackwell; the notes stop at 9.0.
  auto rows = parse_catalog(R"({"images": [
    {"framework": "pytorch", "version": "9.1.0", "cuda": "12.8", "variant": "devel",
     "source_kind": "ngc", "reference": "nvcr.io/nvidia/pytorch:99.01-py3",
     "sass": ["sm_80", "sm_90"], "ptx": "sm_90", "supported_gpus": {"min": "sm_80", "max": "sm_90"},
     "driver_rule": "toolkit", "inferred": ["sass", "ptx"], "source": "notes"}]})",
                            "user.json");
  REQUIRE(rows);
  const Catalog catalog = merge_catalogs(builtin_catalog(), *rows);
  const auto choose = [&](const char* host) {
    auto resolved = resolve_image(parse_request("pytorch 9.1"), parse_host(host), catalog,
                                  [](const ImageEntry&) { return false; });
    return resolved ? resolved->chosen->reference : "error: " + resolved.error().message;
  };
  CHECK(choose("570.124.06 sm_120") ==
        "error: GPU 0 (sm_120) is not among the GPUs its release notes support (compute "
        "capability 8.0 to 9.0) (PyTorch 9.1: nvcr.io/nvidia/pytorch:99.01-py3)");
  CHECK(choose("570.124.06 sm_70").starts_with("error: GPU 0 (sm_70) is not among the GPUs"));
  CHECK(choose("570.124.06 sm_89") == "nvcr.io/nvidia/pytorch:99.01-py3");
  CHECK(choose("570.124.06 sm_90") == "nvcr.io/nvidia/pytorch:99.01-py3");
}

TEST_CASE("each rejection names its rule and the source of the fact it rests on",
          "[resolve][resolver]") {
  const Catalog& catalog = builtin_catalog();
  const auto row = [&](std::string_view reference) -> const ImageEntry& {
    const auto found =
        std::find_if(catalog.images.begin(), catalog.images.end(),
                     [&](const ImageEntry& image) { return image.reference == reference; });
    REQUIRE(found != catalog.images.end());
    return *found;
  };
  // "rule: message [source]", the source shortened to whose it is.
  const auto judged = [&](std::string_view reference, const char* host) {
    const ImageEntry& image = row(reference);
    std::vector<std::string> out;
    for (const auto& rejection : judge_on_host(image, parse_host(host), catalog).rejections) {
      std::string whose = "other";
      if (rejection.source == image.source) whose = "the image's row";
      for (const auto& floor : catalog.minor_floors) {
        if (rejection.source == floor.source)
          whose = "minor_version_compatibility " + std::to_string(floor.cuda_major);
      }
      if (const auto* toolkit = catalog.toolkit_for_cuda(image.cuda);
          toolkit && rejection.source == toolkit->source)
        whose = "cuda_toolkits";
      for (const auto& arch : catalog.architectures) {
        if (rejection.source == arch.source && whose == "other") whose = "architectures";
      }
      out.push_back(std::string(rule_name(rejection.rule)) + ": " + rejection.message + " [" +
                    whose + (rejection.inferred ? ", inferred" : "") + "]");
    }
    return out;
  };
  using Lines = std::vector<std::string>;

  CHECK(judged("pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime", "470.82.01 sm_80") ==
        Lines{"driver-below-minor-compat: needs driver >= 525.60.13 (CUDA 12.1); this host has "
              "470.82.01 [minor_version_compatibility 12]"});
  CHECK(judged("pytorch/pytorch:2.3.1-cuda11.8-cudnn8-devel", "470.82.01 sm_80") ==
        Lines{"driver-below-toolkit: needs driver >= 520.61.05 (CUDA 11.8); this host has "
              "470.82.01 [cuda_toolkits]"});
  CHECK(judged("nvcr.io/nvidia/pytorch:24.10-py3", "550.54.14 sm_90") ==
        Lines{"driver-below-image-minimum: needs driver >= 560 (CUDA 12.6); this host has "
              "550.54.14 [the image's row]"});
  // Forward compatibility: only data-center GPUs take it, so a consumer GPU is refused by it.
  CHECK(judged("nvcr.io/nvidia/pytorch:24.10-py3", "535.104.05 sm_89/geforce") ==
        Lines{"forward-compat-datacenter-only: needs driver >= 560 (CUDA 12.6); this host has "
              "535.104.05 (data-center GPUs on R535 could use CUDA forward compatibility; these "
              "are not) [the image's row]"});
  CHECK(judged("nvcr.io/nvidia/pytorch:24.10-py3", "535.104.05 sm_89/tesla").empty());
  // What the release notes state, and a range only partly stated.
  CHECK(judged("nvcr.io/nvidia/pytorch:24.10-py3", "570.124.06 sm_120") ==
        Lines{"gpu-outside-supported: GPU 0 (sm_120) is not among the GPUs its release notes "
              "support (compute capability 6.0 to 9.0) [the image's row]"});
  CHECK(judged("nvcr.io/nvidia/pytorch:24.05-py3", "570.124.06 sm_120") ==
        Lines{"gpu-outside-supported: GPU 0 (sm_120) is not among the GPUs its release notes "
              "support (compute capability 6.0 to 9.0, partly inferred) [the image's row, "
              "inferred]"});
  // Kernels observed in the binaries, and kernels only assumed.
  CHECK(judged("pytorch/pytorch:1.13.1-cuda11.6-cudnn8-runtime", "550.54.14 sm_90") ==
        Lines{"gpu-arch-not-compiled: GPU 0 (sm_90) has no kernels in it [the image's row]"});
  CHECK(judged("pytorch/pytorch:2.13.0-cuda12.6-cudnn9-runtime", "595.45.04 sm_120") ==
        Lines{"gpu-arch-not-compiled: GPU 0 (sm_120) has no kernels in it [the image's row, "
              "inferred]"});
  // A published image whose framework cannot load its GPU libraries, on any host.
  CHECK(judged("tensorflow/tensorflow:2.19.0-gpu", "595.45.04 sm_90") ==
        Lines{"gpu-stack-broken: TensorFlow in this image cannot use a GPU: its system cuDNN is "
              "8.9 and TensorFlow 2.19 is built with cuDNN 9.3, so it loads no GPU library [the "
              "image's row]"});
  // A plain CUDA image: what its toolkit can compile for is the architectures table's.
  CHECK(judged("nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04", "595.45.04 sm_61") ==
        Lines{"toolkit-cannot-compile: CUDA 13.0 cannot compile for GPU 0 (sm_61); CUDA 12.9 was "
              "the last for it [architectures]"});

  // The request's own rules cite no source: the request is its own.
  const auto mismatches =
      request_mismatches(parse_request("pytorch 2.5 cuda=12.4 python=3.12 devel ngc"),
                         row("pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"));
  std::vector<std::string> rules;
  for (const auto& rejection : mismatches) {
    rules.push_back(std::string(rule_name(rejection.rule)));
    CHECK(rejection.source.empty());
  }
  CHECK(rules == Lines{"version-not-requested", "cuda-not-requested", "python-not-requested",
                       "variant-not-requested", "source-not-requested"});
}

TEST_CASE("an image whose framework cannot use a GPU is refused, and the refusal says which works",
          "[resolve][resolver]") {
  auto refused = resolve_image(parse_request("tensorflow 2.19"), parse_host("595.45.04 sm_90"),
                               builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "TensorFlow in this image cannot use a GPU: its system cuDNN is 8.9 and TensorFlow 2.19 "
        "is built with cuDNN 9.3, so it loads no GPU library (TensorFlow 2.19: "
        "tensorflow/tensorflow:2.19.0-gpu)");
  CHECK(refused.error().hint ==
        "use TensorFlow 2.17 with CUDA 12.8 (nvcr.io/nvidia/tensorflow:25.02-tf2-py3), the "
        "newest that runs on this host's GPUs");
  // Even where nothing else would rule it out: a job on it would train on the CPU unannounced.
  auto unknown_host = resolve_image(parse_request("tensorflow 2.19"), HostFacts{},
                                    builtin_catalog(), [](const ImageEntry&) { return false; });
  CHECK_FALSE(unknown_host);
  // A user catalog's row of the same reference, without the defect, replaces it.
  auto rows = parse_catalog(R"({"images": [
    {"framework": "tensorflow", "version": "2.19.0", "cuda": "12.5", "variant": "runtime",
     "source_kind": "official", "reference": "tensorflow/tensorflow:2.19.0-gpu",
     "sass": ["sm_60", "sm_70", "sm_80", "sm_89"], "ptx": "sm_90", "driver_rule": "toolkit",
     "source": "rebuilt in-house with cuDNN 9"}]})",
                            "user.json");
  REQUIRE(rows);
  // The resolution points into the catalog: it must outlive the result.
  const Catalog with_rebuilt = merge_catalogs(builtin_catalog(), *rows);
  auto fixed = resolve_image(parse_request("tensorflow 2.19"), parse_host("595.45.04 sm_90"),
                             with_rebuilt, [](const ImageEntry&) { return false; });
  REQUIRE(fixed);
  CHECK(fixed->chosen->reference == "tensorflow/tensorflow:2.19.0-gpu");
}

TEST_CASE("a GPU that runs an image's PTX needs the toolkit's driver, and the rule says so",
          "[resolve][resolver]") {
  auto rows = parse_catalog(R"({"images": [
    {"framework": "pytorch", "version": "9.2.0", "cuda": "12.4", "variant": "runtime",
     "source_kind": "official", "reference": "r/p:9.2.0-cuda12.4-runtime", "sass": ["sm_80"],
     "ptx": "sm_90", "driver_rule": "minor_version_compatibility", "source": "observed"}]})",
                            "user.json");
  REQUIRE(rows);
  const Catalog catalog = merge_catalogs(builtin_catalog(), *rows);
  const ImageEntry& image = catalog.images.back();
  REQUIRE(image.reference == "r/p:9.2.0-cuda12.4-runtime");
  CHECK(judge_on_host(image, parse_host("535.104.05 sm_80"), catalog).rejections.empty());
  const auto jit = judge_on_host(image, parse_host("535.104.05 sm_100"), catalog).rejections;
  REQUIRE(jit.size() == 1);
  CHECK(rule_name(jit[0].rule) == "driver-below-ptx-toolkit");
  CHECK(jit[0].message == "needs driver >= 550.54.14 (CUDA 12.4); this host has 535.104.05");
  CHECK(jit[0].source == catalog.toolkit_for_cuda(image.cuda)->source);
  CHECK_FALSE(jit[0].inferred);
}

TEST_CASE("version constraints", "[resolve][resolver]") {
  const auto allows = [](const char* constraint, const char* version) {
    return VersionConstraint::parse(constraint)->allows(*Version::parse(version));
  };
  CHECK(allows("2.3", "2.3.1"));
  CHECK(allows("2.3", "2.3"));
  CHECK_FALSE(allows("2.3", "2.30.1"));
  CHECK_FALSE(allows("2.3.1", "2.3.2"));
  CHECK(allows(">=2.1,<2.4", "2.3.1"));
  CHECK_FALSE(allows(">=2.1,<2.4", "2.4.0"));
  CHECK(allows("==12.4", "12.4"));
  CHECK(allows(">= 12.1", "12.9"));
  CHECK_FALSE(VersionConstraint::parse("latest").has_value());
  CHECK_FALSE(VersionConstraint::parse("").has_value());
}

}  // namespace dlrun::resolve

namespace dlrun::resolve {

// Issue 30: TensorFlow 2.15 on driver 535 was refused with "upgrade the driver", which NGC's 2.15
// needs, when the image a user means (the official 2.15.0-gpu) cannot use a GPU on any driver.
TEST_CASE("a refusal names the image it rejected for the decisive reason first",
          "[resolve][resolver]") {
  auto refused = resolve_image(parse_request("tensorflow 2.15"), parse_host("535.54.03 sm_80"),
                               builtin_catalog(), [](const ImageEntry&) { return false; });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "TensorFlow in this image cannot use a GPU: it finds no GPU in the published 2.15.0-gpu "
        "image (the 2.14 image works on the same host) (tensorflow/tensorflow:2.15.0-gpu); the "
        "other TensorFlow 2.15 images need driver >= 545.23.06 (CUDA 12.3); this host has "
        "535.54.03");
  CHECK(refused.error().hint ==
        "upgrade the driver (for tensorflow/tensorflow:2.15.0.post1-gpu), or use TensorFlow <= "
        "2.14");
}

}  // namespace dlrun::resolve
