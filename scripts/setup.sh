#!/usr/bin/env bash
# Sets up a fresh clone: system tools the tests and benchmarks compare against, npm
# dependencies, the TypeScript build, the portable CPU addon (prebuilds/), and, when nvcc is
# present, the CUDA-enabled addon (build/Release, loaded first by node-gyp-build).
set -euo pipefail
cd "$(dirname "$0")/.."

# sox (reference decoder/resampler), praat and sptk (F0 anchors), espeak-ng (sample speech),
# chromium (the HTML report's browser test, driven by playwright-core).
missing=()
for tool in sox praat sptk espeak-ng chromium; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq sox libsox-fmt-all praat sptk espeak-ng chromium >/dev/null
fi

# onnxruntime-node (when present) would download CUDA provider libraries at install; the CPU
# provider is bundled and this machine may be offline.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build

if [ "${EMOTIONTHINKER_CUDA:-AUTO}" != "OFF" ] && { command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; }; then
  echo "setup: nvcc found, building the CUDA-enabled addon"
  npm run build:cuda
fi

# Platforms (issue #19), with ET_SETUP_PLATFORMS=1 (.ci/run sets it): the linux-arm64 cross
# prebuild, qemu to run it, and the Node binaries (npm registry) of the cross-version and arm64
# smoke runs (scripts/platform-smoke.sh), cached outside the repository.
if [ "${ET_SETUP_PLATFORMS:-0}" = 1 ]; then
  need=()
  command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need+=(g++-aarch64-linux-gnu)
  [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need+=(libc6-arm64-cross)
  command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]} with apt-get"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  bash scripts/node-binaries.sh x64 22 24
  bash scripts/node-binaries.sh arm64 20 22 24
  bash scripts/prebuild-arm64.sh
fi
