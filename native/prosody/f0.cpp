#include "f0.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <string>

#include "../audio/resample.hpp"
#include "../common/error.hpp"
#include "../common/cancel.hpp"
#include "../common/simd.hpp"
#include "f0_path.hpp"
#include "f0_steps.hpp"

namespace et {
namespace prosody {

using namespace steps;

namespace {

ET_SIMD_CLONES
float dot(const float* a, const float* b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Decimates 16 kHz to 8 kHz into a buffer with `pad` zeros on both sides (see decimate_sample).
std::vector<float> decimate2(const Params& p, const float* x, size_t n, size_t pad) {
  constexpr int kHalf = kDecimationTaps / 2;
  const size_t out_n = (n + 1) / 2;
  std::vector<float> out(out_n + 2 * pad, 0.f);
  float* y = out.data() + pad;
  for (size_t j = 0; j < out_n; ++j) {
    const long s = long(2 * j) - kHalf;
    if (s >= 0 && size_t(s) + kDecimationTaps <= n) {
      y[j] = dot(x + s, p.taps, kDecimationTaps);  // interior: no copy of the input
    } else {
      y[j] = decimate_sample(p, [x](size_t i) { return x[i]; }, n, j);
    }
  }
  return out;
}

}  // namespace

float nccf_dot(const float* a, const float* b, int n) { return dot(a, b, n); }

size_t frame_count(size_t samples, double rate, double hop_seconds, double window_seconds) {
  double duration = double(samples) / rate;
  if (samples == 0 || duration < window_seconds) return 0;
  return size_t(std::floor(duration / hop_seconds + 1e-9)) + 1;
}

Params steps::make_params(const F0Options& opt) {
  Params p{};
  p.hop = opt.hop_seconds;
  p.fa = kAnalysisRate;
  const double fa = kAnalysisRate;
  p.W = std::max(8, int(std::lround(opt.window_seconds * fa)));
  p.Ws = std::max(8, int(std::lround(opt.voicing_window_seconds * fa)));
  p.kmin = std::max(2, int(std::floor(fa / opt.f0_max)));
  p.kmax = int(std::ceil(fa / opt.f0_min));
  // Lags from half the shortest period (for the subharmonic check) to one past the longest.
  p.k_lo = std::max(1, p.kmin / 2 - 1);
  p.k_hi = p.kmax + 1;
  p.nk = p.k_hi - p.k_lo + 1;
  p.level_len = std::max(8, int(std::lround(opt.level_window_seconds * fa)));
  p.pad = std::max({p.W, p.Ws, p.level_len}) + p.k_hi + 4;
  p.tiny = 1e-20 * p.W;
  p.f0_min = opt.f0_min;
  p.f0_max = opt.f0_max;
  p.candidate_floor = opt.candidate_floor;
  p.voicing_weight = opt.voicing_weight;
  p.subharmonic_cost = opt.subharmonic_cost;
  p.octave_cost = opt.octave_cost;
  p.max_candidates = opt.max_candidates;
  p.voicing_threshold = opt.voicing_threshold;
  p.silence_threshold = opt.silence_threshold;
  p.level_quantile = opt.level_quantile;
  p.vuv_level_db = opt.vuv_level_db;
  p.vuv_min_factor = opt.vuv_min_factor;
  p.vuv_max_factor = opt.vuv_max_factor;
  p.offset_voicing_bonus = opt.offset_voicing_bonus;
  p.onset_voicing_bonus = opt.onset_voicing_bonus;
  p.trend_frames = opt.vuv_level_db > 0 && (opt.offset_voicing_bonus > 0 || opt.onset_voicing_bonus > 0)
                       ? std::max(1L, std::lround(opt.voicing_trend_seconds / opt.hop_seconds))
                       : 0;
  const double tc = 0.01 / opt.hop_seconds;
  p.jump = float(opt.octave_jump_cost * tc);
  p.vuv = float(opt.voiced_unvoiced_cost * tc);
  p.range_prior_cost = opt.range_prior_cost;
  p.range_prior_width = opt.range_prior_width;
  p.range_prior_width_below = opt.range_prior_width_below;
  p.prior_min_voiced = size_t(std::max(1.0, opt.range_prior_min_voiced_seconds / opt.hop_seconds));
  p.dc_r = float(1.0 - 2 * M_PI * 20.0 / kAnalysisRate);
  p.lowpass = opt.lowpass_hz > 0 && opt.lowpass_hz < 0.45 * kAnalysisRate;
  if (p.lowpass) {
    const double w0 = 2 * M_PI * opt.lowpass_hz / kAnalysisRate, cw = std::cos(w0), al = std::sin(w0) / std::sqrt(2.0);
    const double a0 = 1 + al;
    p.b0 = (1 - cw) / 2 / a0;
    p.b1 = (1 - cw) / a0;
    p.b2 = p.b0;
    p.a1 = -2 * cw / a0;
    p.a2 = (1 - al) / a0;
  }
  // 47-tap Blackman-windowed sinc for 16 → 8 kHz (cutoff 3.6 kHz, stopband ≥ 70 dB from 4.4 kHz;
  // what aliases lies above 3.6 kHz and does not carry F0).
  constexpr int kHalf = kDecimationTaps / 2;
  double sum = 0;
  const double fc = 3600.0 / 16000.0;
  for (int i = 0; i < kDecimationTaps; ++i) {
    const int m = i - kHalf;
    const double sinc = m == 0 ? 2 * fc : std::sin(2 * M_PI * fc * m) / (M_PI * m);
    const double w = 0.42 - 0.5 * std::cos(2 * M_PI * i / (kDecimationTaps - 1)) +
                     0.08 * std::cos(4 * M_PI * i / (kDecimationTaps - 1));
    p.taps[i] = float(sinc * w);
    sum += p.taps[i];
  }
  for (float& v : p.taps) v = float(v / sum);
  return p;
}

F0Track track_f0(const float* samples, size_t n, double rate, const F0Options& opt) {
  validate(opt);
  if (!(rate >= 2 * opt.f0_max && rate <= 1e6)) {
    throw Error(ErrorCode::InvalidArg, "sample rate " + std::to_string(rate) + " Hz is too low for f0Max " +
                                           std::to_string(opt.f0_max) + " Hz (needs at least twice f0Max)");
  }
  return track_f0_validated(samples, n, rate, opt);
}

F0Track track_f0_validated(const float* samples, size_t n, double rate, const F0Options& opt) {
  F0Track out;
  out.hop_seconds = opt.hop_seconds;
  const size_t frames = frame_count(n, rate, opt.hop_seconds, opt.window_seconds);
  if (frames == 0) return out;
  const Params prm = make_params(opt);
  const int nk = prm.nk;
  const long pad = prm.pad;

  // 1. Conditioning: to 8 kHz (into a zero-padded buffer: no second copy), then DC blocker and
  //    low-pass in place.
  std::vector<float> x;
  if (rate == 16000.0) {
    x = decimate2(prm, samples, n, size_t(pad));
  } else {
    std::vector<float> y = rate == kAnalysisRate ? std::vector<float>(samples, samples + n)
                                                 : resample(samples, n, 1, uint32_t(std::lround(rate)), uint32_t(kAnalysisRate));
    x.assign(y.size() + 2 * size_t(pad), 0.f);
    std::copy(y.begin(), y.end(), x.begin() + pad);
  }
  const size_t nx = x.size() - 2 * size_t(pad);
  float* const body = x.data() + pad;
  condition_range(prm, body, body, 0, nx, 0);  // sequential from sample 0: in place is safe
  const float* xp = x.data();
  auto centre = [&](size_t i) { return frame_centre(prm, i); };

  // Prefix sums of squares, in double, over one chunk of frames at a time (bounded memory).
  constexpr size_t kChunk = 2048;
  std::vector<double> P;
  long p_base = 0;
  auto build_prefix = [&](size_t f0, size_t f1) {
    long lo = std::max(0L, centre(f0) - pad), hi = std::min(long(x.size()), centre(f1 - 1) + pad);
    p_base = lo;
    P.assign(size_t(hi - lo) + 1, 0.0);
    for (long i = lo; i < hi; ++i) P[size_t(i - lo + 1)] = P[size_t(i - lo)] + double(xp[i]) * xp[i];
  };
  auto energy = [&](long s, int len) { return std::max(0.0, P[size_t(s + len - p_base)] - P[size_t(s - p_base)]); };

  // Frame levels for the silence rule.
  std::vector<float> level(frames);
  double ref_level = 0;
  for (size_t f0 = 0; f0 < frames; f0 += kChunk) {
    check_cancel();  // a chunk of 2048 frames (20 s at the default hop) between polls
    size_t f1 = std::min(frames, f0 + kChunk);
    build_prefix(f0, f1);
    for (size_t i = f0; i < f1; ++i) {
      level[i] = frame_level(prm, centre(i), energy);
      ref_level = std::max(ref_level, double(level[i]));
    }
  }
  if (opt.level_quantile < 1 && frames > 1) {
    std::vector<float> tmp(level);
    size_t q = size_t(opt.level_quantile * double(frames - 1));
    std::nth_element(tmp.begin(), tmp.begin() + long(q), tmp.end());
    ref_level = tmp[q];
  }

  // 2-4. Candidates per frame: `stride` slots per frame, count[i] used (slot 0: unvoiced).
  const int stride = prm.max_candidates + 1;
  std::vector<Candidate> cands(frames * size_t(stride));
  std::vector<int32_t> count(frames, 1);
  std::vector<float> r(size_t(nk), 0.f);
  for (size_t f0 = 0; f0 < frames; f0 += kChunk) {
    check_cancel();  // a chunk of 2048 frames (20 s at the default hop) between polls
    size_t f1 = std::min(frames, f0 + kChunk);
    build_prefix(f0, f1);
    for (size_t i = f0; i < f1; ++i) {
      Candidate* cs = &cands[i * size_t(stride)];
      cs[0] = {0.f, unvoiced_strength(prm, level.data(), frames, i, ref_level), 0.f};
      if (!(level[i] > 0)) continue;
      const long c = centre(i);
      frame_nccf(prm, xp, c, dot, energy, r.data());
      auto short_nccf = [&](int kk) { return frame_short_nccf(prm, xp, c, dot, energy, kk); };
      count[i] = frame_candidates(prm, r.data(), short_nccf, cs);
    }
  }
  std::vector<double>().swap(P);
  std::vector<float>().swap(x);

  // 5. Viterbi (run twice when the range prior is on: the first path gives the utterance's median
  //    F0, the second adds the prior to the voiced strengths).
  std::vector<float> vuv_on(frames), vuv_off(frames);
  for (size_t i = 0; i < frames; ++i) vuv_costs(prm, level.data(), frames, i, ref_level, &vuv_on[i], &vuv_off[i]);
  std::vector<uint8_t> back(frames * size_t(stride));
  std::vector<int32_t> path(frames);
  auto viterbi = [&]() {
    viterbi_segment(cands.data(), count.data(), stride, vuv_on.data(), vuv_off.data(), prm.jump, 0, frames - 1, false,
                    false, back.data(), path.data());
  };
  check_cancel();
  viterbi();
  check_cancel();
  if (opt.range_prior_cost > 0 && apply_range_prior(prm, cands, count, path, stride)) viterbi();
  path_outputs(cands, count, path, stride, out);
  return out;
}

bool apply_range_prior(const Params& prm, std::vector<Candidate>& cands, const std::vector<int32_t>& count,
                       const std::vector<int32_t>& path, int stride) {
  const size_t frames = count.size();
  std::vector<float> lv;
  for (size_t i = 0; i < frames; ++i) {
    const Candidate& c = cands[i * size_t(stride) + size_t(path[i])];
    if (c.f > 0) lv.push_back(log2_or_zero(c.f));
  }
  if (lv.size() < prm.prior_min_voiced || lv.empty()) return false;
  std::nth_element(lv.begin(), lv.begin() + long(lv.size() / 2), lv.end());
  const float med = lv[lv.size() / 2];
  bool changed = false;
  for (size_t i = 0; i < frames; ++i)
    for (int j = 1; j < count[i]; ++j) {
      Candidate& c = cands[i * size_t(stride) + size_t(j)];
      const float pen = range_prior_penalty(prm, log2_or_zero(c.f), med);
      if (pen > 0) {
        c.strength -= pen;
        changed = true;
      }
    }
  return changed;
}

void path_outputs(const std::vector<Candidate>& cands, const std::vector<int32_t>& count, const std::vector<int32_t>& path,
                  int stride, F0Track& out) {
  const size_t frames = count.size();
  out.f0.resize(frames);
  out.best_f0.resize(frames);
  out.voicing.resize(frames);
  out.nccf.resize(frames);
  for (size_t i = 0; i < frames; ++i)
    frame_output(&cands[i * size_t(stride)], count[i], path[i], &out.f0[i], &out.best_f0[i], &out.voicing[i], &out.nccf[i]);
  // Best guesses on unvoiced frames: candidate nearest (in log F0) to the nearest voiced frame
  // (prefix/suffix scans of voiced indices; on the GPU two max-scans).
  std::vector<long> prev_v(frames), next_v(frames);
  for (size_t i = 0; i < frames; ++i) prev_v[i] = !std::isnan(out.f0[i]) ? long(i) : i ? prev_v[i - 1] : -1;
  for (size_t i = frames; i-- > 0;) next_v[i] = !std::isnan(out.f0[i]) ? long(i) : i + 1 < frames ? next_v[i + 1] : -1;
  for (size_t i = 0; i < frames; ++i) {
    if (!std::isnan(out.f0[i])) continue;
    const long ref = nearest_voiced(long(i), prev_v[i], next_v[i]);
    unvoiced_guess(&cands[i * size_t(stride)], count[i], ref >= 0, ref >= 0 ? out.f0[size_t(ref)] : 0.f, &out.best_f0[i],
                   &out.nccf[i]);
  }
}

}  // namespace prosody
}  // namespace et
