#include "f0_staged.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../common/error.hpp"
#include "f0_path.hpp"
#include "f0_steps.hpp"

namespace et {
namespace prosody {

using namespace steps;

F0Track track_f0_staged(const float* x16, size_t n, const F0Options& opt, StagedStats* stats) {
  validate(opt);
  F0Track out;
  out.hop_seconds = opt.hop_seconds;
  const size_t frames = frame_count(n, 16000.0, opt.hop_seconds, opt.window_seconds);
  if (frames == 0) return out;
  const Params prm = make_params(opt);
  const size_t pad = size_t(prm.pad), n8 = (n + 1) / 2;

  // 1. Decimation (one output sample per GPU thread) into a zero-padded buffer.
  std::vector<float> raw(n8 + 2 * pad, 0.f), x(n8 + 2 * pad, 0.f);
  for (size_t j = 0; j < n8; ++j) raw[pad + j] = decimate_sample(prm, [x16](size_t i) { return x16[i]; }, n, j);
  // 2. Conditioning in independent chunks (one per GPU thread).
  for (size_t b = 0; b < n8; b += kConditionChunk)
    condition_range(prm, raw.data() + pad, x.data() + pad, b, std::min(n8, b + kConditionChunk), kConditionWarm);
  std::vector<float>().swap(raw);
  const float* xp = x.data();
  auto energy = [xp](long s, int len) {
    double e = 0;
    for (int t = 0; t < len; ++t) e += double(xp[s + t]) * xp[s + t];
    return e;
  };

  // 3. Levels per frame, the clip's reference level (a sort on the GPU).
  std::vector<float> level(frames);
  double ref_level = 0;
  for (size_t i = 0; i < frames; ++i) {
    level[i] = float(std::sqrt(energy(frame_centre(prm, i) - prm.level_len / 2, prm.level_len) / prm.level_len));
    ref_level = std::max(ref_level, double(level[i]));
  }
  if (opt.level_quantile < 1 && frames > 1) {
    std::vector<float> tmp(level);
    std::sort(tmp.begin(), tmp.end());
    ref_level = tmp[size_t(opt.level_quantile * double(frames - 1))];
  }

  // 4. Candidates, each frame on its own.
  const int stride = prm.max_candidates + 1;
  std::vector<Candidate> cands(frames * size_t(stride));
  std::vector<int32_t> count(frames, 1);
  std::vector<float> r(size_t(prm.nk));
  for (size_t i = 0; i < frames; ++i) {
    Candidate* cs = &cands[i * size_t(stride)];
    cs[0] = {0.f, unvoiced_strength(prm, level.data(), frames, i, ref_level), 0.f};
    if (!(level[i] > 0)) continue;
    const long c = frame_centre(prm, i);
    auto nccf_at = [&](int k, int w) {
      const long s0 = c - (w + k) / 2;
      float num = 0.f;
      for (int t = 0; t < w; ++t) num += xp[s0 + t] * xp[s0 + k + t];
      return nccf_value(num, energy(s0, w), energy(s0 + k, w), prm.tiny);
    };
    for (int j = 0; j < prm.nk; ++j) r[size_t(j)] = float(nccf_at(prm.k_lo + j, prm.W));
    count[i] = frame_candidates(prm, r.data(), [&](int k) { return nccf_at(k, prm.Ws); }, cs);
  }

  // 5. Transition costs, anchors, segments, Viterbi per segment (one GPU thread each).
  std::vector<float> on(frames), off(frames);
  for (size_t i = 0; i < frames; ++i) vuv_costs(prm, level.data(), frames, i, ref_level, &on[i], &off[i]);
  std::vector<char> anchor(frames);
  std::vector<int32_t> path(frames, 0);
  StagedStats st;
  for (size_t i = 0; i < frames; ++i) {
    const float bound = (i > 0 ? off[i] : 0.f) + (i + 1 < frames ? on[i + 1] : 0.f);
    anchor[i] = is_anchor(&cands[i * size_t(stride)], count[i], bound);
    st.anchors += size_t(anchor[i]);
  }
  struct Seg {
    size_t s, e;
  };
  std::vector<Seg> segs;
  for (size_t i = 0; i < frames; ++i) {
    if (!((anchor[i] && i + 1 < frames) || (i == 0 && !anchor[0]))) continue;
    size_t e = std::min(i + 1, frames - 1);  // a one-frame clip is a one-frame segment
    while (e + 1 < frames && !anchor[e]) ++e;
    segs.push_back({i, e});
    st.longest_segment = std::max(st.longest_segment, e - i + 1);
  }
  st.segments = segs.size();
  std::vector<uint8_t> back(frames * size_t(stride));
  auto viterbi = [&]() {
    for (size_t i = 0; i < frames; ++i)
      if (anchor[i]) path[i] = 0;
    for (const Seg& g : segs)
      viterbi_segment(cands.data(), count.data(), stride, on.data(), off.data(), prm.jump, g.s, g.e, anchor[g.s] != 0,
                      anchor[g.e] != 0, back.data(), path.data());
  };
  viterbi();
  // The prior's median: nth_element here, a segmented sort on the GPU (the same element).
  if (opt.range_prior_cost > 0 && apply_range_prior(prm, cands, count, path, stride)) viterbi();

  // 6. Outputs per frame, then best guesses from the nearest voiced frames.
  path_outputs(cands, count, path, stride, out);
  if (stats) *stats = st;
  return out;
}

}  // namespace prosody
}  // namespace et
