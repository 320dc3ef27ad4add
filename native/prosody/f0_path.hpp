// Host-side steps of the F0 tracker shared by track_f0 (f0.cpp) and its staged form
// (f0_staged.cpp): the range prior between the two Viterbi passes and the per-frame outputs.
// Candidates are stored `stride` slots per frame, count[i] of them used (slot 0: unvoiced).
#pragma once
#include <cstdint>
#include <vector>

#include "f0.hpp"
#include "f0_steps.hpp"

namespace et {
namespace prosody {

// Lowers the voiced candidates' strengths by the range prior around the first path's median
// log2 F0 (f0.hpp step 5). Returns false (nothing changed) when the path has too few voiced
// frames or no candidate lies outside the widths.
bool apply_range_prior(const steps::Params& prm, std::vector<steps::Candidate>& cands, const std::vector<int32_t>& count,
                       const std::vector<int32_t>& path, int stride);

// Σ a·b over n floats: the one dot product of the tracker (NCCF numerators, 16 → 8 kHz decimation),
// so the streaming tracker sums in the same order as track_f0.
float nccf_dot(const float* a, const float* b, int n);

// f0, best_f0, voicing and nccf per frame from the path (f0.hpp step 6).
void path_outputs(const std::vector<steps::Candidate>& cands, const std::vector<int32_t>& count,
                  const std::vector<int32_t>& path, int stride, F0Track& out);

}  // namespace prosody
}  // namespace et
