#!/usr/bin/env bash
# Sets up a fresh clone: system tools the tests and benchmarks compare against, npm
# dependencies, the TypeScript build, the portable CPU addon (prebuilds/), and, when nvcc is
# present, the CUDA-enabled addon (build/Release, loaded first by node-gyp-build).
# ET_SETUP_FUZZ=1 also installs clang with libFuzzer and the sanitizer runtimes (native/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
apt_install() {
  echo "setup: installing $* with apt-get"
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# sox (reference decoder/resampler), praat and sptk (F0 anchors), espeak-ng (sample speech),
# chromium (the HTML report's browser test, driven by playwright-core).
missing=()
for tool in sox praat sptk espeak-ng chromium; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
# The MP3/Ogg tests need sox's MP3 handler, which plain sox lacks (it is in libsox-fmt-all):
# check the formats this sox lists, not just that the binary exists.
sox_formats() { { sox -h 2>/dev/null || true; } | sed -n 's/^AUDIO FILE FORMATS://p'; }
sox_reads() { case " $(sox_formats) " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if ! command -v sox >/dev/null 2>&1 || ! sox_reads mp3 || ! sox_reads vorbis; then
  missing+=(libsox-fmt-all)
fi
packages=()
for tool in "${missing[@]}"; do
  case "$tool" in
    sox) packages+=(sox libsox-fmt-all) ;;
    *) packages+=("$tool") ;;
  esac
done
if [ ${#packages[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  apt_install $(printf '%s\n' "${packages[@]}" | sort -u)
  sox_reads mp3 || { echo "setup: sox still has no MP3 handler (libsox-fmt-mp3)" >&2; exit 1; }
fi

# Fuzzing (native/fuzz/run.sh): clang with libFuzzer and the ASan/UBSan runtimes. Checked by
# linking an empty fuzz target, since clang without its runtime package cannot link one.
fuzz_links() {
  local tmp
  tmp="$(mktemp -d)"
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$tmp/t.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$tmp/t.cpp" -o "$tmp/t" >/dev/null 2>&1
  local rc=$?
  rm -rf "$tmp"
  return $rc
}
if [ "${ET_SETUP_FUZZ:-0}" = "1" ] && ! { command -v clang++ >/dev/null 2>&1 && fuzz_links; }; then
  command -v clang++ >/dev/null 2>&1 || apt_install clang
  # The runtimes are a separate package on newer distributions (libclang-rt-<major>-dev).
  major="$(clang++ -dumpversion | cut -d. -f1)"
  if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then apt_install "libclang-rt-$major-dev"; fi
  fuzz_links || { echo "setup: clang++ cannot link a libFuzzer target (-fsanitize=fuzzer)" >&2; exit 1; }
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
