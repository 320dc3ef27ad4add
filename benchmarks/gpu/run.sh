#!/usr/bin/env bash
# The one prepared GPU script (device machine: CUDA 13, PyTorch, Python; no Node, no network).
# Prepare here with `bash benchmarks/gpu/prepare.sh`, then run on the device from the repo root:
#   bash benchmarks/gpu/run.sh        (the `run` tool with carry: .carry, build/Release, dist)
# Checks every golden case and large random inputs against the CPU path, times the kernels,
# runs the PyTorch eager / torch.compile baselines on the same sizes, prints a ratio table.
# The inner timeouts (180 + 210 s) fit inside the run tool's timeout_s=420, so a hung half is
# cut here and the report still prints; check.mjs runs first, so our numbers come back even if
# the torch half is cut.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/et-gpu}
mkdir -p "$OUT" /tmp/nd
python3 -c "import lzma,tarfile;tarfile.open(fileobj=lzma.open('.carry/node.tar.xz')).extractall('/tmp/nd')"
NODE=/tmp/nd/node
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
GOLDEN=${GOLDEN:-.carry/grpo.json} EMOTIONTHINKER_ADDON=build/Release/emotionthinker.node \
  timeout 180 "$NODE" benchmarks/gpu/check.mjs > "$OUT/ours.json" 2> "$OUT/ours.err"; echo "check.mjs rc=$?"
tail -5 "$OUT/ours.err"
timeout 210 python3 benchmarks/gpu/torch_baseline.py > "$OUT/torch.json" 2> "$OUT/torch.err"; echo "torch rc=$?"
tail -3 "$OUT/torch.err"
python3 benchmarks/gpu/report.py "$OUT/ours.json" "$OUT/torch.json" | tee "$OUT/report.txt"
