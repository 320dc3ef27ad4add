#!/usr/bin/env bash
# Builds what benchmarks/gpu/run.sh needs on the device machine: the CUDA addon (sm_80/sm_90 +
# PTX, static cudart), dist/, Node itself and the golden file, under .carry/ and build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build:ts
# ON, not AUTO: fail here rather than carry a CPU-only addon to the GPU machine.
npx cmake-js rebuild --CDEMOTIONTHINKER_CUDA=ON
mkdir -p .carry
[ -f .carry/node.tar.xz ] || tar chf - -C "$(dirname "$(command -v node)")" node | xz -T2 -6 > .carry/node.tar.xz
cp ../shared/golden/grpo.json .carry/grpo.json
# Prosody parity data (the device has no ../shared): all of fda-ue and every 12th RAVDESS clip.
rm -rf .carry/data && mkdir -p .carry/data/fda-ue .carry/data/ravdess
cp ../shared/data/fda-ue/*.wav .carry/data/fda-ue/
ls ../shared/data/ravdess/*.wav | awk 'NR % 12 == 1' | xargs -I{} cp {} .carry/data/ravdess/
du -sh .carry
echo "carry: .carry build/Release dist"
