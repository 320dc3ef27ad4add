// The F0 tracker's steps, written once for the CPU and the GPU (f0.hpp documents the algorithm).
//
// track_f0 (f0.cpp, one clip, sequential), its staged form (f0_staged.cpp: the GPU's
// decomposition run on the CPU) and the CUDA batch (native/cuda/prosody_cuda.cu, many clips)
// call these functions, so the three run the same arithmetic; they differ only in how the work is
// split (chunks with warm-up for the recursive filters, frames in parallel, the Viterbi path cut
// at frames where the unvoiced state is provably on the best path — see is_anchor()).
#pragma once
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/host_device.hpp"
#include "f0.hpp"

namespace et {
namespace prosody {
namespace steps {

constexpr double kAnalysisRate = 8000.0;
constexpr int kMaxKept = 51;       // max_candidates (≤ 50) + the unvoiced candidate
constexpr int kDecimationTaps = 47;
constexpr float kAnchorMargin = 0.05f;  // beyond the exact bound: float rounding of long path sums

struct Candidate {
  float f;         // Hz; 0 for the unvoiced candidate
  float strength;  // local score
  float r;         // NCCF height
};

// Everything the steps need, derived once from F0Options (plain data, copied to the GPU as is).
struct Params {
  double hop, fa;
  int W, Ws, kmin, kmax, k_lo, k_hi, nk, level_len;
  long pad;  // zeros on each side of the 8 kHz signal: every window of every frame fits
  double tiny;
  double f0_min, f0_max, candidate_floor, voicing_weight, subharmonic_cost, octave_cost;
  int max_candidates;
  double voicing_threshold, silence_threshold, level_quantile;
  double vuv_level_db, vuv_min_factor, vuv_max_factor, offset_voicing_bonus, onset_voicing_bonus;
  long trend_frames;  // 0: level-trend voicing term off
  float jump, vuv;    // per-hop transition costs
  double range_prior_cost, range_prior_width, range_prior_width_below;
  size_t prior_min_voiced;  // first-pass voiced frames needed for the range prior
  // conditioning: DC blocker pole, 2nd-order Butterworth section (applied twice), decimation FIR
  float dc_r;
  bool lowpass;
  double b0, b1, b2, a1, a2;
  float taps[kDecimationTaps];
};

// Host only (f0.cpp): derives Params from validated options.
Params make_params(const F0Options& o);

ET_HD inline size_t min_z(size_t a, size_t b) { return a < b ? a : b; }

// Frame i's centre in the zero-padded 8 kHz buffer.
ET_HD inline long frame_centre(const Params& p, size_t i) { return p.pad + lround(double(i) * p.hop * p.fa); }

// One 8 kHz sample of the 16 kHz → 8 kHz decimation (output j of an n-sample input; samples
// outside the input are zero). `load(i)` reads input sample i as float.
template <class Load>
ET_HD inline float decimate_sample(const Params& p, Load load, size_t n, size_t j) {
  constexpr int kHalf = kDecimationTaps / 2;
  const long s = long(2 * j) - kHalf;
  float acc = 0.f;
  for (int t = 0; t < kDecimationTaps; ++t)
    if (s + t >= 0 && size_t(s + t) < n) acc += load(size_t(s + t)) * p.taps[t];
  return acc;
}

// State of the conditioning filters (DC blocker, then the low-pass section twice) between samples.
struct ConditionState {
  float px = 0.f, py = 0.f;
  double s[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};  // x1, x2, y1, y2 per section
};

// One sample through the conditioning filters (the sequential recursion; the streaming tracker,
// native/prosody/stream.cpp, feeds it sample by sample).
ET_HD inline float condition_sample(const Params& p, ConditionState& st, float v) {
  const float y = v - st.px + p.dc_r * st.py;
  st.px = v;
  st.py = y;
  float o = y;
  if (p.lowpass) {
    for (int k = 0; k < 2; ++k) {
      double* z = st.s[k];
      const double u = o;
      const double w = p.b0 * u + p.b1 * z[0] + p.b2 * z[1] - p.a1 * z[2] - p.a2 * z[3];
      z[1] = z[0];
      z[0] = u;
      z[3] = z[2];
      z[2] = w;
      o = float(w);
    }
  }
  return o;
}

// Conditioning filters for outputs [begin, end) of an n-sample signal, starting the recursion at
// max(0, begin − warm) from rest. From sample 0 this is exactly the sequential filter; with
// warm ≥ 2048 at 8 kHz the start-up transient has decayed below 1e-14 of the signal (DC pole
// 0.984^2048), so chunks can run in parallel.
ET_HD inline void condition_range(const Params& p, const float* in, float* out, size_t begin, size_t end, size_t warm) {
  const size_t start = begin > warm ? begin - warm : 0;
  ConditionState st;
  for (size_t i = start; i < end; ++i) {
    const float o = condition_sample(p, st, in[i]);
    if (i >= begin) out[i] = o;
  }
}

// NCCF from its numerator and the two window energies (0 where either window is silent).
ET_HD inline double nccf_value(double num, double e0, double e1, double tiny) {
  const double d = e0 * e1;
  return d > tiny * tiny ? num / sqrt(d) : 0.0;
}

// The NCCF r[0..nk) of the frame centred at c (lag k_lo + j in r[j]) over the long window, from
// the padded 8 kHz signal xp: dot(a, b, len) is Σ a·b, energy(s, len) Σ x² over [s, s + len).
template <class Dot, class Energy>
ET_HD inline void frame_nccf(const Params& p, const float* xp, long c, Dot dot, Energy energy, float* r) {
  for (int j = 0; j < p.nk; ++j) {
    const int k = p.k_lo + j;
    const long s0 = c - (p.W + k) / 2;
    r[j] = float(nccf_value(dot(xp + s0, xp + s0 + k, p.W), energy(s0, p.W), energy(s0 + k, p.W), p.tiny));
  }
}

// The same at one lag over the short voicing window (frame_candidates' short_nccf).
template <class Dot, class Energy>
ET_HD inline double frame_short_nccf(const Params& p, const float* xp, long c, Dot dot, Energy energy, int k) {
  const long ss = c - (p.Ws + k) / 2;
  return nccf_value(dot(xp + ss, xp + ss + k, p.Ws), energy(ss, p.Ws), energy(ss + k, p.Ws), p.tiny);
}

// A frame's level for the silence rule: RMS over level_len samples about its centre c.
template <class Energy>
ET_HD inline float frame_level(const Params& p, long c, Energy energy) {
  return float(sqrt(energy(c - p.level_len / 2, p.level_len) / p.level_len));
}

// The unvoiced candidate's strength (f0.hpp step 4). ref_level: the clip's reference level.
ET_HD inline float unvoiced_strength(const Params& p, const float* level, size_t frames, size_t i, double ref_level) {
  const double rel = ref_level > 0 ? level[i] / ref_level : 0.0;
  float u = float(p.voicing_threshold + fmax(0.0, 2.0 - rel / (p.silence_threshold / (1.0 + p.voicing_threshold))));
  if (p.trend_frames > 0) {
    const double eps = 1e-4 * fmax(ref_level, 1e-12);
    const size_t T = size_t(p.trend_frames);
    const double now = level[i] + eps;
    const double fall = -20 * log10((level[min_z(frames - 1, i + T)] + eps) / now);
    const double rise = 20 * log10(now / (level[i >= T ? i - T : 0] + eps));
    u += float(p.offset_voicing_bonus * fmin(1.0, fmax(0.0, fall / p.vuv_level_db)) +
               p.onset_voicing_bonus * fmin(1.0, fmax(0.0, rise / p.vuv_level_db)));
  }
  return u;
}

// Voicing transition costs into frame i (f0.hpp step 5): *on for unvoiced → voiced, *off for
// voiced → unvoiced.
ET_HD inline void vuv_costs(const Params& p, const float* level, size_t frames, size_t i, double ref_level, float* on,
                            float* off) {
  *on = p.vuv;
  *off = p.vuv;
  if (i == 0 || !(p.vuv_level_db > 0)) return;
  const double eps = 1e-4 * fmax(ref_level, 1e-12);
  const double a = level[i - 1], b = level[min_z(frames - 1, i + 1)];
  const double dl = 20 * log10((b + eps) / (a + eps));
  *on = float(p.vuv * fmin(p.vuv_max_factor, fmax(p.vuv_min_factor, 1 - dl / p.vuv_level_db)));
  *off = float(p.vuv * fmin(p.vuv_max_factor, fmax(p.vuv_min_factor, 1 + dl / p.vuv_level_db)));
}

// Ranking key of a voiced candidate before the octave cost is known: the octave cost
// −c·log2(f_top/f) = −c·log2(f_top) + c·log2(f) shifts every candidate of a frame by the same
// −c·log2(f_top), so strength + c·log2(f) ranks them as the final strengths do.
ET_HD inline double rank_key(const Params& p, const Candidate& c) { return double(c.strength) + p.octave_cost * log2(double(c.f)); }

// Voiced candidates of one frame (f0.hpp steps 2–3) from its NCCF r[0..nk) (r[j] at lag
// k_lo + j). kept[0] must already hold the unvoiced candidate; the voiced ones follow, at most
// max_candidates of them: in lag order when all fit, else the strongest in decreasing strength
// (ties: the shorter lag first). `short_nccf(k)` is the NCCF at lag k over the short window.
// Returns the number of candidates in kept, the unvoiced one included.
template <class ShortNccf>
ET_HD inline int frame_candidates(const Params& p, const float* r, ShortNccf short_nccf, Candidate* kept) {
  const int K = p.max_candidates, nk = p.nk;
  int m = 1, total = 0;
  float top_r = -1e30f, f_top = 0.f;
  for (int j = 1; j + 1 < nk; ++j) {
    const int k = p.k_lo + j;
    if (k < p.kmin || k > p.kmax) continue;
    if (!(r[j] >= r[j - 1] && r[j] > r[j + 1] && r[j] > p.candidate_floor)) continue;
    const double a = r[j - 1], b = r[j], cc = r[j + 1];
    const double den = a - 2 * b + cc;
    double delta = den < 0 ? 0.5 * (a - cc) / den : 0.0;
    delta = fmax(-0.5, fmin(0.5, delta));
    const double height = fmin(1.0, b - 0.25 * (a - cc) * delta);
    const double f = p.fa / (k + delta);
    if (f < p.f0_min || f > p.f0_max) continue;
    // Subharmonic check: a candidate whose half-lag is itself strongly periodic is probably two
    // periods long.
    const double half = (k + delta) / 2 - p.k_lo;
    const int h0 = int(half);
    double rh = 0;
    if (h0 >= 0 && h0 + 1 < nk) rh = r[h0] + (r[h0 + 1] - r[h0]) * (half - h0);
    // Voicing evidence over the short window: parabolic peak of its NCCF over lags k-1..k+1.
    double rs = height;
    if (p.voicing_weight > 0) {
      const double v0 = short_nccf(k - 1), v1 = short_nccf(k), v2 = short_nccf(k + 1);
      const double dd = v0 - 2 * v1 + v2;
      const double dl = dd < 0 ? fmax(-0.5, fmin(0.5, 0.5 * (v0 - v2) / dd)) : 0.0;
      rs = fmin(1.0, fmax(fmax(v0, v1), fmax(v2, v1 - 0.25 * (v0 - v2) * dl)));
    }
    const double mix = (1 - p.voicing_weight) * height + p.voicing_weight * rs;
    const Candidate c{float(f), float(mix - p.subharmonic_cost * fmax(0.0, rh)), float(height)};
    ++total;
    if (c.r > top_r) {
      top_r = c.r;
      f_top = c.f;
    }
    if (m - 1 < K) {
      kept[m++] = c;
      continue;
    }
    // Full: drop the weakest (the longest lag among equals) if the new one ranks above it,
    // keeping lag order.
    int weakest = 1;
    double wk = rank_key(p, kept[1]);
    for (int q = 2; q < m; ++q) {
      const double kq = rank_key(p, kept[q]);
      if (kq <= wk) {
        wk = kq;
        weakest = q;
      }
    }
    if (rank_key(p, c) > wk) {
      for (int q = weakest; q + 1 < m; ++q) kept[q] = kept[q + 1];
      kept[m - 1] = c;
    }
  }
  // Octave cost relative to the highest NCCF peak of the frame: it ranks the voiced candidates
  // without moving the voiced/unvoiced balance.
  for (int q = 1; q < m; ++q) kept[q].strength -= float(p.octave_cost * log2(double(f_top) / double(kept[q].f)));
  if (total > K) {  // stable insertion sort by decreasing strength
    for (int q = 2; q < m; ++q) {
      const Candidate c = kept[q];
      int t = q;
      while (t > 1 && kept[t - 1].strength < c.strength) {
        kept[t] = kept[t - 1];
        --t;
      }
      kept[t] = c;
    }
  }
  return m;
}

ET_HD inline float log2_or_zero(float f) { return f > 0 ? log2f(f) : 0.f; }

// Frame i is an anchor when the unvoiced state is on every best path through it: replacing a
// voiced state v there by the unvoiced one gains s_U − s_v and costs at most the two voicing
// transitions (into i: vuv_off[i], out of it: vuv_on[i+1]; every other transition term only
// shrinks), so s_U − max s_v > that bound proves it. Frames with no voiced candidate are anchors.
// Cutting the path at anchors lets segments be decoded independently with the same result.
ET_HD inline bool is_anchor(const Candidate* c, int m, float bound) {
  if (m <= 1) return true;
  float best = -1e30f;
  for (int j = 1; j < m; ++j) best = fmaxf(best, c[j].strength);
  return c[0].strength - best > bound + kAnchorMargin;
}

// One Viterbi transition (f0.hpp step 5): from the previous frame's candidates pc[0..mp) with
// log2 F0 lf_prev and path scores score_prev into frame c[0..m) with voicing costs to_v
// (unvoiced → voiced) and to_u (voiced → unvoiced). Writes lf_next, score_next and the back
// pointers bk[0..m). viterbi_segment runs it frame after frame; the streaming tracker one frame
// at a time as frames arrive.
ET_HD inline void viterbi_step(const Candidate* pc, int mp, const float* lf_prev, const float* score_prev,
                               const Candidate* c, int m, float to_v, float to_u, float jump, float* lf_next,
                               float* score_next, uint8_t* bk) {
  for (int j = 0; j < m; ++j) {
    const float lj = log2_or_zero(c[j].f);
    lf_next[j] = lj;
    const bool vj = c[j].f > 0;
    float best = -INFINITY;
    int arg = 0;
    for (int q = 0; q < mp; ++q) {
      const bool vp = pc[q].f > 0;
      const float t = vj && vp ? jump * fabsf(lj - lf_prev[q]) : vj != vp ? (vj ? to_v : to_u) : 0.f;
      const float v = score_prev[q] - t;
      if (v > best) {
        best = v;
        arg = q;
      }
    }
    score_next[j] = best + c[j].strength;
    bk[j] = uint8_t(arg);
  }
}

// Viterbi over frames [s, e] of one clip (f0.hpp step 5). cands: `stride` slots per frame,
// count[i] used; on/off: per-frame voicing transition costs. start_u: the path is pinned to the
// unvoiced candidate at s (an anchor), else it starts free; end_u likewise at e. Writes path[s..e]
// (candidate index per frame); back: `stride` bytes per frame, scratch for frames s+1..e.
ET_HD inline void viterbi_segment(const Candidate* cands, const int32_t* count, int stride, const float* on,
                                  const float* off, float jump, size_t s, size_t e, bool start_u, bool end_u,
                                  uint8_t* back, int32_t* path) {
  float score[2][kMaxKept], lf[2][kMaxKept];
  int cur = 0;
  {
    const Candidate* c = cands + s * size_t(stride);
    const int m = count[s];
    for (int j = 0; j < m; ++j) {
      score[0][j] = start_u ? (j == 0 ? 0.f : -INFINITY) : c[j].strength;
      lf[0][j] = log2_or_zero(c[j].f);
    }
  }
  for (size_t i = s + 1; i <= e; ++i) {
    const int nxt = cur ^ 1;
    viterbi_step(cands + (i - 1) * size_t(stride), count[i - 1], lf[cur], score[cur], cands + i * size_t(stride), count[i],
                 on[i], off[i], jump, lf[nxt], score[nxt], back + i * size_t(stride));
    cur = nxt;
  }
  int state = 0;
  if (!end_u) {
    const int m = count[e];
    float best = score[cur][0];
    for (int j = 1; j < m; ++j)
      if (score[cur][j] > best) {
        best = score[cur][j];
        state = j;
      }
  }
  path[e] = state;
  for (size_t i = e; i > s; --i) {
    state = back[i * size_t(stride) + size_t(state)];
    path[i - 1] = state;
  }
}

// Range prior (f0.hpp step 5): strength lost by a voiced candidate at log2 F0 `lf` given the
// first path's median log2 F0.
ET_HD inline float range_prior_penalty(const Params& p, float lf, float median) {
  const float dv = lf - median;
  const float ex = dv > 0 ? dv - float(p.range_prior_width) : -dv - float(p.range_prior_width_below);
  return ex > 0 ? float(p.range_prior_cost) * ex : 0.f;
}

// Outputs of one frame on the path (f0.hpp step 6); unvoiced frames get their best guess later.
ET_HD inline void frame_output(const Candidate* cs, int m, int chosen, float* f0, float* best_f0, float* voicing,
                               float* nccf) {
  float best_voiced = -1e9f;
  for (int j = 1; j < m; ++j) best_voiced = fmaxf(best_voiced, cs[j].strength);
  const float margin = best_voiced - cs[0].strength;
  const float prob = m > 1 ? 1.f / (1.f + expf(-margin / 0.05f)) : 0.f;
  const Candidate& c = cs[chosen];
  if (c.f > 0) {
    *f0 = c.f;
    *best_f0 = c.f;
    *nccf = c.r;
    *voicing = fmaxf(prob, 0.5f);
  } else {
    *f0 = NAN;
    *best_f0 = NAN;
    *nccf = 0.f;
    *voicing = fminf(prob, 0.499f);
  }
}

// Best guess on an unvoiced frame: the candidate nearest in log F0 to `ref_f0` (the nearest voiced
// frame's F0, or that F0 itself when the frame has no candidate); with no voiced frame in the
// clip (has_ref false), the strongest candidate.
ET_HD inline void unvoiced_guess(const Candidate* cs, int m, bool has_ref, float ref_f0, float* best_f0, float* nccf) {
  if (!has_ref) {
    float bs = -1e9f;
    for (int j = 1; j < m; ++j)
      if (cs[j].strength > bs) {
        bs = cs[j].strength;
        *best_f0 = cs[j].f;
        *nccf = cs[j].r;
      }
    return;
  }
  *best_f0 = ref_f0;
  float bd = 1e9f;
  for (int j = 1; j < m; ++j) {
    const float d = fabsf(log2f(cs[j].f / ref_f0));
    if (d < bd) {
      bd = d;
      *best_f0 = cs[j].f;
      *nccf = cs[j].r;
    }
  }
}

// The nearest voiced frame to i given the previous (a) and next (b) voiced frames (−1: none);
// ties go to the earlier one. −1 when the clip has no voiced frame.
ET_HD inline long nearest_voiced(long i, long a, long b) { return a < 0 ? b : b < 0 ? a : (i - a <= b - i ? a : b); }

}  // namespace steps
}  // namespace prosody
}  // namespace et
