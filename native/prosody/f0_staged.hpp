// track_f0 split the way the CUDA batch splits it (native/cuda/prosody_cuda.cu), run on the CPU.
//
// The GPU cannot run the tracker's sequential loops as they are: the conditioning filters are
// recursive and the Viterbi path runs over the whole clip. The batch instead filters in chunks
// that start `warm` samples early (the start-up transient has decayed below float precision),
// measures every frame independently, and decodes the path in segments cut at anchor frames
// (f0_steps.hpp is_anchor: frames where the unvoiced state is provably on the best path). This
// file runs exactly that decomposition with the same step functions on the CPU, so the claim
// "same result as track_f0" is tested on every machine (native/tests/f0_staged_test.cpp), not
// only where a GPU is lent.
#pragma once
#include <cstddef>

#include "f0.hpp"

namespace et {
namespace prosody {

struct StagedStats {
  size_t anchors = 0, segments = 0, longest_segment = 0;  // frames
};

constexpr size_t kConditionChunk = 2048;  // 8 kHz samples per filter chunk
constexpr size_t kConditionWarm = 2048;   // samples run before each chunk's first output

// 16 kHz mono in (the analysis rate of prosody::analyze); same result layout as track_f0.
F0Track track_f0_staged(const float* x16, size_t n, const F0Options& opt, StagedStats* stats = nullptr);

}  // namespace prosody
}  // namespace et
