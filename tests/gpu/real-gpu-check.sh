#!/usr/bin/env bash
# Checks dlrun's view of a real NVIDIA host against the driver's own tools: NVML discovery (and
# the /proc fallback), what resolution and doctor make of it, and the GPU architectures the
# installed PyTorch wheel really carries (to check data/catalog.json's rows).
# Usage: tests/gpu/real-gpu-check.sh [path/to/dlrun]   (no Docker engine needed)
set -u
dlrun=${1:-build/release/src/dlrun}
[[ -d .devlib ]] && export LD_LIBRARY_PATH=$PWD/.devlib  # libraries carried with the binary
export DOCKER_HOST=unix:///nonexistent/docker.sock       # host facts only; no engine here
spec_dir=$(mktemp -d)

section() { printf '\n== %s\n' "$*"; }

section "driver's own view"
nvidia-smi --query-gpu=index,uuid,name,memory.total,compute_cap,driver_version --format=csv
nvidia-smi -q | grep -E "Product Name|Product Brand|Driver Version|CUDA Version" | sort -u
cat /proc/driver/nvidia/version 2>&1

section "dlrun doctor (NVML)"
"$dlrun" doctor
"$dlrun" doctor --output json

section "dlrun doctor (/proc fallback, NVML hidden)"
DLRUN_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1 "$dlrun" doctor

for framework in pytorch tensorflow jax cuda; do
  section "dlrun resolve $framework"
  printf '{"version": 1, "framework": {"name": "%s"}, "command": ["true"]}\n' "$framework" \
    >"$spec_dir/$framework.json"
  "$dlrun" resolve --explain "$spec_dir/$framework.json" 2>&1 | head -12
done

section "PyTorch wheel: compiled architectures"
python3 - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda)
print("arch list", torch.cuda.get_arch_list())
print("device", torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))
PY
lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cuda.so"))')
section "cuobjdump $lib"
timeout 150 cuobjdump --list-elf "$lib" | grep -o 'sm_[0-9]*a\?' | sort | uniq -c
timeout 90 cuobjdump --list-ptx "$lib" | grep -o 'sm_[0-9]*a\?' | sort | uniq -c
