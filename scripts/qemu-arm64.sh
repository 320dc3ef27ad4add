#!/usr/bin/env bash
# Runs an aarch64 program under qemu-aarch64-static with the Debian aarch64 sysroot.
# qemu 7.2's user mode shows the guest the host's x86 /proc/cpuinfo, which onnxruntime's cpuinfo
# library cannot parse (it segfaults while loading); where a private mount namespace is allowed
# (root, or CAP_SYS_ADMIN), an arm64 /proc/cpuinfo (test/platform/arm64-cpuinfo.txt, a
# Neoverse-N1 description) is bound over it for this process only. Exit 86 = no namespace.
# Usage: scripts/qemu-arm64.sh <program> [args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
run=(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$@")
if unshare -m true 2>/dev/null; then
  exec unshare -m bash -c 'mount --bind "$0" /proc/cpuinfo && exec "$@"' "$here/test/platform/arm64-cpuinfo.txt" "${run[@]}"
fi
[ "${ET_QEMU_NO_CPUINFO:-0}" = 1 ] && exec "${run[@]}"
exit 86
