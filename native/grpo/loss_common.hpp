// Internal pieces shared by the token-loss and logits-loss kernels.
#pragma once
#include <algorithm>
#include <vector>

#include "grpo.hpp"
#include "token_term.hpp"
#include "../common/parallel.hpp"

namespace et::grpo {

// ERR_INVALID_ARG unless the layout has at least one sequence and one token and, when ragged,
// offsets start at 0 and never decrease.
void validate_layout(const SeqLayout& L, const char* what);

// Per-sequence weight of a masked token under the aggregation: loss = Σ_t m_t·scale[b(t)]·L_t.
// Needs the mask sums for token-mean (total) and seq-mean-token-mean (per sequence).
template <class MaskSum>
std::vector<double> aggregation_scales(const SeqLayout& L, const LossOptions& opt, MaskSum&& seq_mask_sum,
                                       unsigned threads) {
  const size_t B = L.batch;
  std::vector<double> scale(B);
  std::vector<double> ms;  // per-sequence mask sums, for the aggregations that divide by them
  double total = 0;
  if (opt.agg == Agg::TokenMean || opt.agg == Agg::SeqMeanTokenMean) {
    ms.resize(B);
    const size_t T = L.tokens();
    const size_t per = std::max<size_t>(1, (B * 65536) / std::max<size_t>(T, 1));
    const size_t chunks = (B + per - 1) / per;
    parallel_chunks(chunks, T < 131072 ? 1 : threads, [&](size_t c) {
      for (size_t b = c * per, e = std::min(B, c * per + per); b < e; ++b) ms[b] = seq_mask_sum(L.begin(b), L.begin(b + 1));
    });
    for (double v : ms) total += v;
  }
  for (size_t b = 0; b < B; ++b) scale[b] = aggregation_scale(opt.agg, double(B), ms.empty() ? 0.0 : ms[b], total, opt.norm_len);
  return scale;
}

}  // namespace et::grpo
