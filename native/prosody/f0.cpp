#include "f0.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <string>

#include "../audio/resample.hpp"
#include "../common/error.hpp"
#include "../common/simd.hpp"

namespace et {
namespace prosody {

namespace {

constexpr double kAnalysisRate = 8000.0;

void bad(const std::string& field, const std::string& what) {
  throw Error(ErrorCode::InvalidArg, "option \"" + field + "\" " + what);
}

ET_SIMD_CLONES
float dot(const float* a, const float* b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Decimates 16 kHz to 8 kHz with a 47-tap Blackman-windowed sinc (cutoff 3.6 kHz, stopband
// ≥ 70 dB from 4.4 kHz; what aliases lies above 3.6 kHz and does not carry F0).
std::vector<float> decimate2(const float* x, size_t n, size_t pad) {
  constexpr int kTaps = 47, kHalf = kTaps / 2;
  float h[kTaps];
  double sum = 0;
  const double fc = 3600.0 / 16000.0;
  for (int i = 0; i < kTaps; ++i) {
    int m = i - kHalf;
    double sinc = m == 0 ? 2 * fc : std::sin(2 * M_PI * fc * m) / (M_PI * m);
    double w = 0.42 - 0.5 * std::cos(2 * M_PI * i / (kTaps - 1)) + 0.08 * std::cos(4 * M_PI * i / (kTaps - 1));
    h[i] = float(sinc * w);
    sum += h[i];
  }
  for (float& v : h) v = float(v / sum);
  size_t out_n = (n + 1) / 2;
  std::vector<float> out(out_n + 2 * pad, 0.f);  // zero padding both sides, written in place
  float* y = out.data() + pad;
  for (size_t j = 0; j < out_n; ++j) {
    long s = long(2 * j) - kHalf;
    if (s >= 0 && size_t(s) + kTaps <= n) {
      y[j] = dot(x + s, h, kTaps);  // interior: no copy of the input
    } else {
      float acc = 0.f;
      for (int t = 0; t < kTaps; ++t)
        if (s + t >= 0 && size_t(s + t) < n) acc += x[s + t] * h[t];
      y[j] = acc;
    }
  }
  return out;
}

struct Candidate {
  float f;         // Hz; 0 for the unvoiced candidate
  float strength;  // local score
  float r;         // NCCF height
};

}  // namespace

void validate(const F0Options& o) {
  if (!(o.hop_seconds >= 0.001 && o.hop_seconds <= 0.1)) bad("hopSeconds", "must be in [0.001, 0.1] s");
  if (!(o.f0_min >= 20 && o.f0_min < o.f0_max)) bad("f0Min", "must be ≥ 20 Hz and below f0Max");
  if (!(o.f0_max <= 2000)) bad("f0Max", "must be ≤ 2000 Hz");
  if (!(o.window_seconds >= 0.005 && o.window_seconds <= 0.2)) bad("windowSeconds", "must be in [0.005, 0.2] s");
  if (!(o.max_candidates >= 1 && o.max_candidates <= 50)) bad("maxCandidates", "must be in 1..50");
  if (!(o.candidate_floor >= 0 && o.candidate_floor < 1)) bad("candidateFloor", "must be in [0, 1)");
  if (!(o.octave_cost >= 0 && o.octave_cost <= 1)) bad("octaveCost", "must be in [0, 1]");
  if (!(o.octave_jump_cost >= 0 && o.octave_jump_cost <= 10)) bad("octaveJumpCost", "must be in [0, 10]");
  if (!(o.voiced_unvoiced_cost >= 0 && o.voiced_unvoiced_cost <= 10)) bad("voicedUnvoicedCost", "must be in [0, 10]");
  if (!(o.voicing_threshold >= 0 && o.voicing_threshold <= 1)) bad("voicingThreshold", "must be in [0, 1]");
  if (!(o.silence_threshold >= 0 && o.silence_threshold <= 1)) bad("silenceThreshold", "must be in [0, 1]");
  if (!(o.level_quantile > 0 && o.level_quantile <= 1)) bad("levelQuantile", "must be in (0, 1]");
  if (!(o.vuv_level_db >= 0 && o.vuv_level_db <= 100)) bad("vuvLevelDb", "must be in [0, 100] dB");
  if (!(o.vuv_min_factor >= 0 && o.vuv_min_factor <= 1 && o.vuv_max_factor >= 1 && o.vuv_max_factor <= 10))
    bad("vuvMinFactor/vuvMaxFactor", "must satisfy 0 ≤ min ≤ 1 ≤ max ≤ 10");
  if (!(o.range_prior_cost >= 0 && o.range_prior_cost <= 10)) bad("rangePriorCost", "must be in [0, 10]");
  if (!(o.offset_voicing_bonus >= 0 && o.offset_voicing_bonus <= 1 && o.onset_voicing_bonus >= 0 && o.onset_voicing_bonus <= 1))
    bad("offsetVoicingBonus/onsetVoicingBonus", "must be in [0, 1]");
  if (!(o.voicing_trend_seconds > 0 && o.voicing_trend_seconds <= 0.5)) bad("voicingTrendSeconds", "must be in (0, 0.5] s");
  if (!(o.range_prior_width >= 0 && o.range_prior_width_below >= 0)) bad("rangePriorWidth", "must be ≥ 0 octaves");
}

size_t frame_count(size_t samples, double rate, double hop_seconds, double window_seconds) {
  double duration = double(samples) / rate;
  if (samples == 0 || duration < window_seconds) return 0;
  return size_t(std::floor(duration / hop_seconds + 1e-9)) + 1;
}

F0Track track_f0(const float* samples, size_t n, double rate, const F0Options& opt) {
  validate(opt);
  if (!(rate >= 2 * opt.f0_max && rate <= 1e6)) {
    throw Error(ErrorCode::InvalidArg, "sample rate " + std::to_string(rate) + " Hz is too low for f0Max " +
                                           std::to_string(opt.f0_max) + " Hz (needs at least twice f0Max)");
  }
  F0Track out;
  out.hop_seconds = opt.hop_seconds;
  const size_t frames = frame_count(n, rate, opt.hop_seconds, opt.window_seconds);
  if (frames == 0) return out;

  const double fa = kAnalysisRate;
  const int W = std::max(8, int(std::lround(opt.window_seconds * fa)));
  const int Ws = std::max(8, int(std::lround(opt.voicing_window_seconds * fa)));
  const int kmin = std::max(2, int(std::floor(fa / opt.f0_max)));
  const int kmax = int(std::ceil(fa / opt.f0_min));
  // Lags from half the shortest period (for the subharmonic check) to one past the longest.
  const int k_lo = std::max(1, kmin / 2 - 1), k_hi = kmax + 1;
  const int level_len = std::max(8, int(std::lround(opt.level_window_seconds * fa)));
  const long pad = std::max({W, Ws, level_len}) + k_hi + 4;

  // 1. Conditioning: to 8 kHz (into a zero-padded buffer: no second copy), then DC blocker and
  //    low-pass in place.
  std::vector<float> x;
  if (rate == 16000.0) {
    x = decimate2(samples, n, size_t(pad));
  } else {
    std::vector<float> y = rate == kAnalysisRate ? std::vector<float>(samples, samples + n)
                                                 : resample(samples, n, 1, uint32_t(std::lround(rate)), uint32_t(kAnalysisRate));
    x.assign(y.size() + 2 * size_t(pad), 0.f);
    std::copy(y.begin(), y.end(), x.begin() + pad);
  }
  const size_t nx = x.size() - 2 * size_t(pad);
  float* const body = x.data() + pad;
  {
    const float R = float(1.0 - 2 * M_PI * 20.0 / kAnalysisRate);
    float prev_x = 0.f, prev_y = 0.f;
    for (size_t i = 0; i < nx; ++i) {
      float v = body[i];
      float y = v - prev_x + R * prev_y;
      prev_x = v;
      prev_y = y;
      body[i] = y;
    }
  }
  if (opt.lowpass_hz > 0 && opt.lowpass_hz < 0.45 * kAnalysisRate) {
    // Two cascaded 2nd-order Butterworth low-pass sections (4th order overall).
    const double w0 = 2 * M_PI * opt.lowpass_hz / kAnalysisRate, cw = std::cos(w0), al = std::sin(w0) / std::sqrt(2.0);
    const double a0 = 1 + al, b0 = (1 - cw) / 2 / a0, b1 = (1 - cw) / a0, b2 = b0, a1 = -2 * cw / a0, a2 = (1 - al) / a0;
    for (int pass = 0; pass < 2; ++pass) {
      double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
      for (size_t i = 0; i < nx; ++i) {
        double v = body[i];
        double y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = v;
        y2 = y1;
        y1 = y;
        body[i] = float(y);
      }
    }
  }
  const float* xp = x.data();
  auto centre = [&](size_t i) { return pad + long(std::lround(double(i) * opt.hop_seconds * fa)); };

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
  double max_level = 0;
  for (size_t f0 = 0; f0 < frames; f0 += kChunk) {
    size_t f1 = std::min(frames, f0 + kChunk);
    build_prefix(f0, f1);
    for (size_t i = f0; i < f1; ++i) {
      level[i] = float(std::sqrt(energy(centre(i) - level_len / 2, level_len) / level_len));
      max_level = std::max(max_level, double(level[i]));
    }
  }
  if (opt.level_quantile < 1 && frames > 1) {
    std::vector<float> tmp(level);
    size_t q = size_t(opt.level_quantile * double(frames - 1));
    std::nth_element(tmp.begin(), tmp.begin() + long(q), tmp.end());
    max_level = tmp[q];
  }

  // 2-4. Candidates per frame, stored flat: frame i owns cands[off[i] .. off[i+1]).
  const int nk = k_hi - k_lo + 1;
  std::vector<float> r(size_t(nk), 0.f);
  std::vector<Candidate> cands;
  cands.reserve(frames * 4);
  std::vector<size_t> off(frames + 1, 0);
  std::vector<Candidate> cs;
  const double tiny = 1e-20 * W;
  const size_t trend_frames =
      opt.vuv_level_db > 0 && (opt.offset_voicing_bonus > 0 || opt.onset_voicing_bonus > 0)
          ? size_t(std::max(1L, std::lround(opt.voicing_trend_seconds / opt.hop_seconds)))
          : 0;
  const double trend_eps = 1e-4 * std::max(max_level, 1e-12);
  for (size_t f0 = 0; f0 < frames; f0 += kChunk) {
    size_t f1 = std::min(frames, f0 + kChunk);
    build_prefix(f0, f1);
    for (size_t i = f0; i < f1; ++i) {
      cs.clear();
      const double rel = max_level > 0 ? level[i] / max_level : 0.0;
      float u = float(opt.voicing_threshold +
                      std::max(0.0, 2.0 - rel / (opt.silence_threshold / (1.0 + opt.voicing_threshold))));
      if (trend_frames > 0) {
        // Level trend: a voiced frame must be more clearly periodic just before the level falls
        // (offsets, where glottal cycles lengthen and become irregular) and just after it rises.
        const double now = level[i] + trend_eps;
        const double fall = -20 * std::log10((level[std::min(frames - 1, i + trend_frames)] + trend_eps) / now);
        const double rise = 20 * std::log10(now / (level[i >= trend_frames ? i - trend_frames : 0] + trend_eps));
        u += float(opt.offset_voicing_bonus * std::min(1.0, std::max(0.0, fall / opt.vuv_level_db)) +
                   opt.onset_voicing_bonus * std::min(1.0, std::max(0.0, rise / opt.vuv_level_db)));
      }
      cs.push_back({0.f, u, 0.f});
      const long c = centre(i);
      if (level[i] > 0) {
        for (int j = 0; j < nk; ++j) {
          int k = k_lo + j;
          long s0 = c - (W + k) / 2;
          double d = energy(s0, W) * energy(s0 + k, W);
          r[size_t(j)] = d > tiny * tiny ? float(dot(xp + s0, xp + s0 + k, W) / std::sqrt(d)) : 0.f;
        }
        for (int j = 1; j + 1 < nk; ++j) {
          int k = k_lo + j;
          if (k < kmin || k > kmax) continue;
          if (!(r[j] >= r[j - 1] && r[j] > r[j + 1] && r[j] > opt.candidate_floor)) continue;
          double a = r[j - 1], b = r[j], cc = r[j + 1];
          double den = a - 2 * b + cc;
          double delta = den < 0 ? 0.5 * (a - cc) / den : 0.0;
          delta = std::max(-0.5, std::min(0.5, delta));
          double height = std::min(1.0, b - 0.25 * (a - cc) * delta);
          double f = fa / (k + delta);
          if (f < opt.f0_min || f > opt.f0_max) continue;
          // Subharmonic check: a candidate whose half-lag is itself strongly periodic is
          // probably two periods long.
          double half = (k + delta) / 2 - k_lo;
          int h0 = int(half);
          double rh = 0;
          if (h0 >= 0 && h0 + 1 < nk) rh = r[size_t(h0)] + (r[size_t(h0) + 1] - r[size_t(h0)]) * (half - h0);
          // Voicing evidence at this lag over the short window: parabolic peak of the
          // short-window NCCF over lags k-1..k+1.
          double rs = height;
          if (opt.voicing_weight > 0) {
            double v3[3];
            for (int q = -1; q <= 1; ++q) {
              int kk = k + q;
              long ss = c - (Ws + kk) / 2;
              double d2 = energy(ss, Ws) * energy(ss + kk, Ws);
              v3[q + 1] = d2 > tiny * tiny ? dot(xp + ss, xp + ss + kk, Ws) / std::sqrt(d2) : 0.0;
            }
            double dd = v3[0] - 2 * v3[1] + v3[2];
            double dl = dd < 0 ? std::max(-0.5, std::min(0.5, 0.5 * (v3[0] - v3[2]) / dd)) : 0.0;
            rs = std::min(1.0, std::max({v3[0], v3[1], v3[2], v3[1] - 0.25 * (v3[0] - v3[2]) * dl}));
          }
          double mix = (1 - opt.voicing_weight) * height + opt.voicing_weight * rs;
          float st = float(mix - opt.subharmonic_cost * std::max(0.0, rh));
          cs.push_back({float(f), st, float(height)});
        }
        // Octave cost relative to the highest NCCF peak of the frame, so that it ranks the voiced
        // candidates without moving the voiced/unvoiced balance.
        if (cs.size() > 1) {
          size_t top = 1;
          for (size_t j = 2; j < cs.size(); ++j)
            if (cs[j].r > cs[top].r) top = j;
          const float ftop = cs[top].f;
          for (size_t j = 1; j < cs.size(); ++j) cs[j].strength -= float(opt.octave_cost * std::log2(ftop / cs[j].f));
        }
        if (int(cs.size()) - 1 > opt.max_candidates) {
          std::partial_sort(cs.begin() + 1, cs.begin() + 1 + opt.max_candidates, cs.end(),
                            [](const Candidate& p, const Candidate& q) { return p.strength > q.strength; });
          cs.resize(size_t(opt.max_candidates) + 1);
        }
      }
      cands.insert(cands.end(), cs.begin(), cs.end());
      off[i + 1] = cands.size();
    }
  }
  std::vector<double>().swap(P);
  std::vector<float>().swap(x);

  // 5. Viterbi over the flat candidate lists (run twice when the range prior is on: the first
  //    path gives the utterance's median F0, the second adds the prior to the voiced strengths).
  const double tc = 0.01 / opt.hop_seconds;
  const float jump = float(opt.octave_jump_cost * tc), vuv = float(opt.voiced_unvoiced_cost * tc);
  std::vector<float> score(cands.size()), logf(cands.size());
  std::vector<int32_t> back(cands.size(), 0);
  for (size_t j = 0; j < cands.size(); ++j) logf[j] = cands[j].f > 0 ? std::log2(cands[j].f) : 0.f;
  // Voicing transitions cost less where the level rises (onsets) or falls (offsets), as in RAPT:
  // factor max(vuv_min_factor, 1 ∓ Δ/vuv_level_db), Δ the level change in dB across frames i±1.
  std::vector<float> vuv_on(frames, vuv), vuv_off(frames, vuv);
  if (opt.vuv_level_db > 0) {
    const double eps = 1e-4 * std::max(max_level, 1e-12);
    for (size_t i = 1; i < frames; ++i) {
      double a = level[i - 1], b = level[std::min(frames - 1, i + 1)];
      double dl = 20 * std::log10((b + eps) / (a + eps));
      vuv_on[i] = float(vuv * std::min(opt.vuv_max_factor, std::max(opt.vuv_min_factor, 1 - dl / opt.vuv_level_db)));
      vuv_off[i] = float(vuv * std::min(opt.vuv_max_factor, std::max(opt.vuv_min_factor, 1 + dl / opt.vuv_level_db)));
    }
  }
  std::vector<int32_t> path(frames);
  auto viterbi = [&]() {
    for (size_t j = off[0]; j < off[1]; ++j) score[j] = cands[j].strength;
    for (size_t i = 1; i < frames; ++i) {
      for (size_t j = off[i]; j < off[i + 1]; ++j) {
        float best = -std::numeric_limits<float>::infinity();
        int32_t arg = 0;
        const bool vj = cands[j].f > 0;
        const float to_v = vuv_on[i], to_u = vuv_off[i];
        for (size_t p = off[i - 1]; p < off[i]; ++p) {
          const bool vp = cands[p].f > 0;
          float t = vj && vp ? jump * std::fabs(logf[j] - logf[p]) : vj != vp ? (vj ? to_v : to_u) : 0.f;
          float v = score[p] - t;
          if (v > best) {
            best = v;
            arg = int32_t(p - off[i - 1]);
          }
        }
        score[j] = best + cands[j].strength;
        back[j] = arg;
      }
    }
    size_t a = off[frames - 1], b = off[frames];
    path[frames - 1] = int32_t(std::max_element(score.begin() + long(a), score.begin() + long(b)) - (score.begin() + long(a)));
    for (size_t i = frames - 1; i > 0; --i) path[i - 1] = back[off[i] + size_t(path[i])];
  };
  viterbi();
  if (opt.range_prior_cost > 0) {
    std::vector<float> lv;
    for (size_t i = 0; i < frames; ++i) {
      const Candidate& c = cands[off[i] + size_t(path[i])];
      if (c.f > 0) lv.push_back(logf[off[i] + size_t(path[i])]);
    }
    if (lv.size() >= size_t(std::max(1.0, opt.range_prior_min_voiced_seconds / opt.hop_seconds))) {
      std::nth_element(lv.begin(), lv.begin() + long(lv.size() / 2), lv.end());
      const float med = lv[lv.size() / 2];
      bool changed = false;
      for (size_t j = 0; j < cands.size(); ++j) {
        if (!(cands[j].f > 0)) continue;
        const float dv = logf[j] - med;
        float ex = dv > 0 ? dv - float(opt.range_prior_width) : -dv - float(opt.range_prior_width_below);
        if (ex > 0) {
          cands[j].strength -= float(opt.range_prior_cost) * ex;
          changed = true;
        }
      }
      if (changed) viterbi();
    }
  }

  // 5. Outputs.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  out.f0.assign(frames, nan);
  out.best_f0.assign(frames, nan);
  out.voicing.assign(frames, 0.f);
  out.nccf.assign(frames, 0.f);
  for (size_t i = 0; i < frames; ++i) {
    const Candidate* cs = &cands[off[i]];
    const size_t m = off[i + 1] - off[i];
    const Candidate& chosen = cs[size_t(path[i])];
    float best_voiced = -1e9f;
    for (size_t j = 1; j < m; ++j) best_voiced = std::max(best_voiced, cs[j].strength);
    float margin = best_voiced - cs[0].strength;
    float p = m > 1 ? 1.f / (1.f + std::exp(-margin / 0.05f)) : 0.f;
    if (chosen.f > 0) {
      out.f0[i] = chosen.f;
      out.best_f0[i] = chosen.f;
      out.nccf[i] = chosen.r;
      out.voicing[i] = std::max(p, 0.5f);
    } else {
      out.voicing[i] = std::min(p, 0.499f);
    }
  }
  // Best guesses on unvoiced frames: candidate nearest (in log F0) to the nearest voiced frame.
  std::vector<long> prev_v(frames, -1), next_v(frames, -1);
  for (size_t i = 0, last = size_t(-1); i < frames; ++i) {
    if (!std::isnan(out.f0[i])) last = i;
    prev_v[i] = last == size_t(-1) ? -1 : long(last);
  }
  for (size_t i = frames, nxt = size_t(-1); i-- > 0;) {
    if (!std::isnan(out.f0[i])) nxt = i;
    next_v[i] = nxt == size_t(-1) ? -1 : long(nxt);
  }
  for (size_t i = 0; i < frames; ++i) {
    if (!std::isnan(out.f0[i])) continue;
    long a = prev_v[i], b = next_v[i];
    long ref = a < 0 ? b : b < 0 ? a : (long(i) - a <= b - long(i) ? a : b);
    const Candidate* cs = &cands[off[i]];
    const size_t m = off[i + 1] - off[i];
    if (ref < 0) {
      float bs = -1e9f;
      for (size_t j = 1; j < m; ++j)
        if (cs[j].strength > bs) {
          bs = cs[j].strength;
          out.best_f0[i] = cs[j].f;
          out.nccf[i] = cs[j].r;
        }
      continue;
    }
    float fr = out.f0[size_t(ref)];
    out.best_f0[i] = fr;
    float bd = 1e9f;
    for (size_t j = 1; j < m; ++j) {
      float dlog = std::fabs(std::log2(cs[j].f / fr));
      if (dlog < bd) {
        bd = dlog;
        out.best_f0[i] = cs[j].f;
        out.nccf[i] = cs[j].r;
      }
    }
  }
  return out;
}

}  // namespace prosody
}  // namespace et
