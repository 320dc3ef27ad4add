#!/usr/bin/env bash
# The one prepared GPU script (device machine: CUDA 13, PyTorch, Python; no Node, no network).
# Prepare here with `bash benchmarks/gpu/prepare.sh`, then run on the device from the repo root:
#   bash benchmarks/gpu/run.sh [grpo] [prosody]     (default: both; the `run` tool with
#   carry: .carry, build/Release, dist and timeout_s=540 for both, 300 for one)
# GRPO: every golden case and large random inputs against the CPU path, kernel timings, PyTorch
# eager / torch.compile baselines on the same sizes, a ratio table.
# Prosody: parity with the CPU path on the carried clips, one hour of int16 audio end to end,
# the throughput curve, and the PyTorch batched FFT-YIN baseline on the same hour.
# Inner timeouts sum to 500 s, so a hung part is cut here and the reports still print; our
# checks run before the torch halves, so our numbers come back even if a torch half is cut.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/et-gpu}
SECTIONS=${*:-grpo prosody}
mkdir -p "$OUT" /tmp/nd
python3 -c "import lzma,tarfile;tarfile.open(fileobj=lzma.open('.carry/node.tar.xz')).extractall('/tmp/nd')"
NODE=/tmp/nd/node
export EMOTIONTHINKER_ADDON=build/Release/emotionthinker.node
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
if [[ " $SECTIONS " == *" grpo "* ]]; then
  GOLDEN=${GOLDEN:-.carry/grpo.json} timeout 130 "$NODE" benchmarks/gpu/check.mjs > "$OUT/ours.json" 2> "$OUT/ours.err"
  echo "check.mjs rc=$?"
  tail -5 "$OUT/ours.err"
  timeout 150 python3 benchmarks/gpu/torch_baseline.py > "$OUT/torch.json" 2> "$OUT/torch.err"; echo "torch rc=$?"
  tail -3 "$OUT/torch.err"
  python3 benchmarks/gpu/report.py "$OUT/ours.json" "$OUT/torch.json" | tee "$OUT/report.txt"
fi
if [[ " $SECTIONS " == *" prosody "* ]]; then
  timeout 150 "$NODE" benchmarks/gpu/prosody-check.mjs .carry/data /tmp/et-hour.s16 > "$OUT/prosody.json" 2> "$OUT/prosody.err"
  echo "prosody-check.mjs rc=$?"
  tail -5 "$OUT/prosody.err"
  timeout 70 python3 benchmarks/gpu/torch_yin.py /tmp/et-hour.s16 5 > "$OUT/yin.json" 2> "$OUT/yin.err"; echo "torch_yin rc=$?"
  tail -3 "$OUT/yin.err"
  python3 benchmarks/gpu/report_prosody.py "$OUT/prosody.json" "$OUT/yin.json" | tee "$OUT/report_prosody.txt"
fi
