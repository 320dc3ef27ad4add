#include "prosody.hpp"
#include "energy_steps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "../audio/limits.hpp"
#include "../audio/resample.hpp"
#include "../common/error.hpp"
#include "../common/cancel.hpp"
#include "../common/simd.hpp"

namespace et {
namespace prosody {

double bessel_i0(double x);

namespace {
std::vector<float> make_intensity_window(double min_pitch, double rate, double* wsum);
}  // namespace

// Each analysis needs two windows (intensity, nuclei) of up to thousands of taps, each tap a
// Bessel series: computing them took as long as the rest of the energy tracks of a short clip.
// The last few (min_pitch, rate) pairs are kept per thread (no locking; a handful of KB).
std::vector<float> intensity_window(double min_pitch, double rate, double* wsum) {
  struct Entry {
    double min_pitch, rate, wsum;
    std::vector<float> w;
  };
  static thread_local std::vector<Entry> cache;
  for (const Entry& e : cache)
    if (e.min_pitch == min_pitch && e.rate == rate) {
      *wsum = e.wsum;
      return e.w;
    }
  double sum = 0;
  std::vector<float> w = make_intensity_window(min_pitch, rate, &sum);
  if (cache.size() >= 4) cache.erase(cache.begin());
  cache.push_back({min_pitch, rate, sum, w});
  *wsum = sum;
  return w;
}

namespace {
std::vector<float> make_intensity_window(double min_pitch, double rate, double* wsum) {
  const int L = std::max(3, int(std::lround(6.4 / min_pitch * rate)) | 1);
  const int half = L / 2;
  std::vector<float> w(static_cast<size_t>(L));
  const double beta = 2 * M_PI * M_PI + 0.5, i0b = bessel_i0(beta);
  double sum = 0;
  for (int i = 0; i < L; ++i) {
    double u = double(i - half) / half;
    w[size_t(i)] = float(bessel_i0(beta * std::sqrt(std::max(0.0, 1 - u * u))) / i0b);
    sum += w[size_t(i)];
  }
  *wsum = sum;
  return w;
}
}  // namespace

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
// Frames between polls of the cancel flag in the per-frame loops.
constexpr size_t kCancelFrames = 4096;
using steps::kIntensityFloorDb;

}  // namespace

double bessel_i0(double x) {
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 200; ++k) {
    term *= q / (double(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

namespace {

// Σ w·x and Σ w·x² in one pass.
ET_SIMD_CLONES
void weighted_moments(const float* x, const float* w, int n, float& s1, float& s2) {
  float a = 0.f, b = 0.f;
#pragma omp simd reduction(+ : a, b)
  for (int i = 0; i < n; ++i) {
    float wx = w[i] * x[i];
    a += wx;
    b += wx * x[i];
  }
  s1 = a;
  s2 = b;
}

// Praat-style intensity: squared signal weighted by a Kaiser window (β = 2π² + 0.5) of physical
// length 6.4 / min_pitch, window mean subtracted; dB re (2·10⁻⁵)², so a 0 dBFS sine reads ≈ 91 dB.
std::vector<float> intensity_track(const float* x, size_t n, double rate, double mean, size_t frames, double hop,
                                   double min_pitch) {
  double wsum = 0;
  const std::vector<float> w = intensity_window(min_pitch, rate, &wsum);
  const int L = int(w.size()), half = L / 2;
  std::vector<float> buf(static_cast<size_t>(L));
  std::vector<float> out(frames);
  for (size_t i = 0; i < frames; ++i) {
    if (i % kCancelFrames == 0) check_cancel();
    long c = long(std::lround(double(i) * hop * rate));
    long s = c - half;
    const float* px;
    if (s >= 0 && size_t(s + L) <= n) {
      px = x + s;
    } else {
      for (int k = 0; k < L; ++k) {
        long j = s + k;
        buf[size_t(k)] = j >= 0 && size_t(j) < n ? x[j] : float(mean);
      }
      px = buf.data();
    }
    float s1, s2;
    weighted_moments(px, w.data(), L, s1, s2);
    out[i] = steps::intensity_db_of(s1, s2, wsum);
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  double pos = q * double(v.size() - 1);
  size_t i = size_t(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (v[i + 1] - v[i]) * (pos - double(i));
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return v.empty() ? kNaN : 0.0;
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size() - 1));
}

// Runs of frames where pred(i) holds, as [first, last] frame index pairs.
template <typename Pred>
std::vector<std::pair<size_t, size_t>> runs(size_t frames, Pred pred) {
  std::vector<std::pair<size_t, size_t>> r;
  for (size_t i = 0; i < frames;) {
    if (!pred(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < frames && pred(j + 1)) ++j;
    r.push_back({i, j});
    i = j + 1;
  }
  return r;
}

Segment to_segment(std::pair<size_t, size_t> r, double hop, double duration) {
  return {std::max(0.0, double(r.first) * hop - hop / 2), std::min(duration, double(r.second) * hop + hop / 2)};
}

// Least-squares polynomial fit of degree 1 or 2; returns R².
double polyfit_r2(const std::vector<double>& u, const std::vector<double>& y, int degree, double coef[3]) {
  // normal equations, 3×3 at most
  const int m = degree + 1;
  double A[3][4] = {};
  for (size_t i = 0; i < u.size(); ++i) {
    double p[3] = {1, u[i], u[i] * u[i]};
    for (int r = 0; r < m; ++r) {
      for (int c = 0; c < m; ++c) A[r][c] += p[r] * p[c];
      A[r][m] += p[r] * y[i];
    }
  }
  for (int c = 0; c < m; ++c) {  // Gauss-Jordan with partial pivoting
    int piv = c;
    for (int r = c + 1; r < m; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    for (int k = 0; k <= m; ++k) std::swap(A[c][k], A[piv][k]);
    if (std::fabs(A[c][c]) < 1e-12) return kNaN;
    for (int r = 0; r < m; ++r) {
      if (r == c) continue;
      double f = A[r][c] / A[c][c];
      for (int k = c; k <= m; ++k) A[r][k] -= f * A[c][k];
    }
  }
  coef[0] = coef[1] = coef[2] = 0;
  for (int c = 0; c < m; ++c) coef[c] = A[c][m] / A[c][c];
  double ym = mean_of(y), ss_tot = 0, ss_res = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    double f = coef[0] + coef[1] * u[i] + coef[2] * u[i] * u[i];
    ss_res += (y[i] - f) * (y[i] - f);
    ss_tot += (y[i] - ym) * (y[i] - ym);
  }
  return ss_tot > 0 ? 1 - ss_res / ss_tot : 1.0;
}

}  // namespace

float intensity_db_of_window(const float* x, const float* w, int n, double wsum) {
  float s1, s2;
  weighted_moments(x, w, n, s1, s2);
  return steps::intensity_db_of(s1, s2, wsum);
}


void check_finite(const float* x, size_t n) {
  // Finite and within the package's float bound (audio/limits.hpp): a sample of 3e36 would
  // otherwise turn intensities into +Infinity.
  limits::check_samples(x, n, 1, ErrorCode::InvalidArg, "");
}

AnalysisInput prepare_input(const float* samples, size_t n, double rate, const ProsodyOptions& o) {
  validate(o);
  return prepare_validated(samples, n, rate, o);
}

AnalysisInput prepare_validated(const float* samples, size_t n, double rate, const ProsodyOptions& o) {
  limits::check_rate_arg(rate, "sampleRate");
  if (!(rate >= 2 * o.f0.f0_max && rate == std::floor(rate))) {
    throw Error(ErrorCode::InvalidArg, "sample rate " + std::to_string(rate) +
                                           " Hz must be an integer of at least twice f0Max");
  }
  check_finite(samples, n);
  AnalysisInput p;
  if (rate == o.analysis_rate) {
    p.x = samples;  // no copy: the analysis reads the caller's buffer
    p.n = n;
  } else {
    p.owned = resample(samples, n, 1, uint32_t(rate), uint32_t(o.analysis_rate));
    p.x = p.owned.data();
    p.n = p.owned.size();
  }
  p.rate = o.analysis_rate;
  return p;
}

double clipped_ratio(const float* samples, size_t n) {
  size_t clipped = 0;
  for (size_t i = 0; i < n; ++i) clipped += std::fabs(samples[i]) >= 0.999f;
  return n ? double(clipped) / double(n) : 0.0;
}

F0Track analyze_f0(const float* samples, size_t n, double rate, const ProsodyOptions& o) {
  AnalysisInput p = prepare_input(samples, n, rate, o);
  if (frame_count(p.n, p.rate, o.f0.hop_seconds, std::max(o.rms_window_seconds, o.f0.window_seconds)) == 0) {
    F0Track t;
    t.hop_seconds = o.f0.hop_seconds;
    return t;
  }
  return track_f0_validated(p.x, p.n, p.rate, o.f0);  // prepare_input validated o and the rate
}

Intonation classify_intonation(const std::vector<float>& f0, const std::vector<float>& nccf, double hop) {
  const IntonationThresholds& th = kIntonationThresholds;
  Intonation in;
  in.range_st = in.direction_st = in.turn_depth_st = in.r2_gain = in.vertex = in.curvature_st = kNaN;
  std::vector<double> t, hz, conf;
  for (size_t i = 0; i < f0.size(); ++i)
    if (!std::isnan(f0[i])) {
      t.push_back(double(i) * hop);
      hz.push_back(f0[i]);
      conf.push_back(i < nccf.size() ? nccf[i] : 1.0);
    }
  in.voiced_seconds = double(t.size()) * hop;
  in.confidence = conf.empty() ? 0.0 : mean_of(conf);
  if (in.voiced_seconds < th.min_voiced_seconds || t.size() < 3) {
    in.label = "too_short";
    return in;
  }
  const double med = quantile(hz, 0.5);
  const size_t m = t.size();
  std::vector<double> st(m), mf(m), sm(m);
  for (size_t i = 0; i < m; ++i) st[i] = 12 * std::log2(hz[i] / med);
  for (size_t i = 0; i < m; ++i) {  // median filter of 5 (window shrinks at the ends)
    size_t a = i >= 2 ? i - 2 : 0, b = std::min(m - 1, i + 2);
    std::vector<double> w(st.begin() + long(a), st.begin() + long(b) + 1);
    std::nth_element(w.begin(), w.begin() + long(w.size() / 2), w.end());
    mf[i] = w[w.size() / 2];
  }
  static const double sg[9] = {-21, 14, 39, 54, 59, 54, 39, 14, -21};  // Savitzky–Golay (9, 2) / 231
  for (size_t i = 0; i < m; ++i) {
    if (i < 4 || i + 4 >= m) {
      sm[i] = mf[i];
      continue;
    }
    double s = 0;
    for (int k = -4; k <= 4; ++k) s += sg[k + 4] * mf[size_t(long(i) + k)];
    sm[i] = s / 231.0;
  }
  in.range_st = quantile(sm, 0.95) - quantile(sm, 0.05);
  in.range_class = in.range_st < th.flat_below_st ? "flat" : in.range_st > th.expressive_above_st ? "expressive" : "moderate";
  const double t0 = t.front(), span = std::max(hop, t.back() - t0);
  std::vector<double> u(m), first, last;
  for (size_t i = 0; i < m; ++i) {
    u[i] = (t[i] - t0) / span;
    if (u[i] <= 0.25) first.push_back(sm[i]);
    if (u[i] >= 0.75) last.push_back(sm[i]);
  }
  in.direction_st = quantile(last, 0.5) - quantile(first, 0.5);
  in.direction = in.direction_st >= th.direction_st ? "rising" : in.direction_st <= -th.direction_st ? "falling" : "level";
  double cl[3], cq[3];
  double r2l = polyfit_r2(u, sm, 1, cl), r2q = polyfit_r2(u, sm, 2, cq);
  in.turn = "none";
  if (!std::isnan(r2l) && !std::isnan(r2q)) in.r2_gain = r2q - r2l;
  if (!std::isnan(r2l) && !std::isnan(r2q) && std::fabs(cq[2]) <= 1e-9) {
    // A straight contour: no curvature and no turn (the vertex is undefined). Zeros, not NaN,
    // so that as features they read as "straight" rather than as the corpus mean.
    in.curvature_st = 0;
    in.turn_depth_st = 0;
  } else if (!std::isnan(in.r2_gain)) {
    in.curvature_st = 2 * cq[2];
    double v = -cq[1] / (2 * cq[2]);
    in.vertex = v;
    auto q = [&](double x) { return cq[0] + cq[1] * x + cq[2] * x * x; };
    // Depth of the turn inside the voiced span: the extreme is taken at the vertex clamped to
    // [0, 1], so a vertex outside the span gives 0 (no turn within the utterance) rather than the
    // height of a parabola far beyond it (which ran to thousands of semitones and swamped any
    // statistic of the descriptor). The class rule below only reads it for vertices in the span.
    const double vc = std::clamp(v, 0.0, 1.0);
    in.turn_depth_st = std::min(std::fabs(q(vc) - q(0)), std::fabs(q(vc) - q(1)));
    if (v >= th.turn_vertex_min && v <= th.turn_vertex_max && in.turn_depth_st >= th.turn_depth_st && in.r2_gain >= th.turn_r2_gain)
      in.turn = cq[2] < 0 ? "rising-falling" : "falling-rising";
  }
  // Precedence: too_short > uncertain (mean NCCF of voiced frames < 0.5) > flat > turn >
  // rising/falling > expressive > level.
  if (in.confidence < th.min_confidence) in.label = "uncertain";
  else if (in.range_class == "flat") in.label = "flat";
  else if (in.turn != "none") in.label = in.turn;
  else if (in.direction != "level") in.label = in.direction;
  else if (in.range_class == "expressive") in.label = "expressive";
  else in.label = "level";
  return in;
}

ProsodyTracks compute_tracks(const float* samples, size_t n, double rate, const ProsodyOptions& o) {
  check_cancel();
  AnalysisInput p = prepare_input(samples, n, rate, o);
  ProsodyTracks t;
  const double hop = o.f0.hop_seconds;
  t.f0.hop_seconds = hop;
  t.analysis_rate = p.rate;
  t.duration = double(n) / rate;
  double sum = 0;
  for (size_t i = 0; i < p.n; ++i) sum += p.x[i];
  t.clipped_ratio = clipped_ratio(samples, n);
  const double mean = p.n ? sum / double(p.n) : 0.0;
  t.dc_offset = mean;
  const size_t frames = frame_count(p.n, p.rate, hop, std::max(o.rms_window_seconds, o.f0.window_seconds));
  if (frames == 0) return t;
  t.f0 = track_f0_validated(p.x, p.n, p.rate, o.f0);  // prepare_input validated o and the rate
  // (track_f0 yields the same frame count: same formula, window ≤ the RMS window)

  // Frame RMS (dBFS: 20·log10 RMS, full-scale square = 0 dBFS, full-scale sine = −3.01), clip mean removed.
  t.rms_dbfs.resize(frames);
  const long rw = std::max(1L, long(std::lround(o.rms_window_seconds * p.rate)));
  auto start = [&](size_t i) { return long(std::lround(double(i) * hop * p.rate)) - rw / 2; };
  for (size_t i = 0; i < frames;) {
    if (i % kCancelFrames < 4) check_cancel();
    // Four frames whose windows lie inside the signal in one pass: four independent sums, each
    // adding the same terms in the same order as below (same bits), overlapped by the CPU.
    if (i + 4 <= frames && start(i) >= 0 && start(i + 3) + rw <= long(p.n)) {
      const float* q[4];
      for (size_t k = 0; k < 4; ++k) q[k] = p.x + start(i + k);
      double acc[4] = {0, 0, 0, 0};
      for (long j = 0; j < rw; ++j)
        for (size_t k = 0; k < 4; ++k) {
          double v = q[k][j] - mean;
          acc[k] += v * v;
        }
      for (size_t k = 0; k < 4; ++k) t.rms_dbfs[i + k] = steps::rms_dbfs_of(acc[k] / double(rw));
      i += 4;
      continue;
    }
    long s = start(i);
    double acc = 0;
    for (long j = std::max(0L, s); j < std::min(long(p.n), s + rw); ++j) {
      double v = p.x[j] - mean;
      acc += v * v;
    }
    t.rms_dbfs[i] = steps::rms_dbfs_of(acc / double(rw));
    ++i;
  }
  t.intensity_db = intensity_track(p.x, p.n, p.rate, mean, frames, hop, o.intensity_min_pitch);
  t.nuclei_intensity_db = intensity_track(p.x, p.n, p.rate, mean, frames, hop, o.nuclei_min_pitch);
  return t;
}

namespace {

// The pause, phonation and rate functionals from res.pauses, res.nuclei and the phonation time
// (the sum of the sounding stretches), for either segmentation.
void duration_functionals(ProsodyResult& res, double phonation) {
  Functionals& fn = res.fn;
  double ptot = 0;
  for (auto& s : res.pauses) ptot += s.end - s.start;
  fn.pause_count = double(res.pauses.size());
  fn.pause_rate_per_s = res.duration > 0 ? fn.pause_count / res.duration : kNaN;
  fn.pause_mean_s = res.pauses.empty() ? kNaN : ptot / double(res.pauses.size());
  fn.pause_total_s = ptot;
  fn.syllable_count = double(res.nuclei.size());
  fn.phonation_time_s = phonation;
  fn.phonation_ratio = res.duration > 0 ? phonation / res.duration : kNaN;
  fn.speech_rate = fn.articulation_rate = fn.average_syllable_duration_s = kNaN;
  if (!res.nuclei.empty()) {
    fn.speech_rate = fn.syllable_count / res.duration;
    fn.articulation_rate = phonation > 0 ? fn.syllable_count / phonation : kNaN;
    fn.average_syllable_duration_s = phonation / fn.syllable_count;
  }
}

}  // namespace

void resegment(ProsodyResult& r, const std::vector<Segment>& speech, double min_pause) {
  std::vector<Segment> sounding, silences, pauses;
  for (const Segment& s : speech) {
    const Segment c{std::max(0.0, s.start), std::min(r.duration, s.end)};
    if (c.end > c.start) sounding.push_back(c);
  }
  double prev = 0;
  for (size_t i = 0; i <= sounding.size(); ++i) {
    const double next = i < sounding.size() ? sounding[i].start : r.duration;
    if (next - prev >= min_pause) {
      silences.push_back({prev, next});
      if (i > 0 && i < sounding.size()) pauses.push_back({prev, next});
    }
    if (i < sounding.size()) prev = sounding[i].end;
  }
  std::vector<Nucleus> nuclei;
  for (const Nucleus& n : r.nuclei) {
    for (const Segment& s : sounding) {
      if (n.time >= s.start && n.time <= s.end) {
        nuclei.push_back(n);
        break;
      }
    }
  }
  double phonation = 0;
  for (const Segment& s : sounding) phonation += s.end - s.start;
  r.sounding = std::move(sounding);
  r.silences = std::move(silences);
  r.pauses = std::move(pauses);
  r.nuclei = std::move(nuclei);
  duration_functionals(r, phonation);
}

ProsodyResult analyze(const float* samples, size_t n, double rate, const ProsodyOptions& o, const std::vector<Segment>* speech) {
  ProsodyResult r = finish_analysis(compute_tracks(samples, n, rate, o), o);
  if (speech) resegment(r, *speech, o.min_pause_seconds);
  return r;
}

ProsodyResult finish_analysis(ProsodyTracks&& t, const ProsodyOptions& o) {
  ProsodyResult res;
  const double hop = o.f0.hop_seconds;
  res.hop_seconds = hop;
  res.analysis_rate = t.analysis_rate;
  res.duration = t.duration;
  res.clipped_ratio = t.clipped_ratio;
  res.dc_offset = t.dc_offset;
  Functionals& fn = res.fn;
  {
    double* d = reinterpret_cast<double*>(&fn);
    for (size_t i = 0; i < sizeof(Functionals) / sizeof(double); ++i) d[i] = kNaN;
  }
  fn.duration_s = res.duration;
  res.intonation = classify_intonation({}, {}, hop);
  const size_t frames = t.rms_dbfs.size();
  res.f0 = std::move(t.f0);
  res.f0.hop_seconds = hop;
  if (frames == 0) return res;
  if (res.f0.frames() != frames || t.intensity_db.size() != frames || t.nuclei_intensity_db.size() != frames) {
    throw Error(ErrorCode::InvalidArg, "prosody tracks disagree on the frame count (" + std::to_string(frames) +
                                           " RMS frames, " + std::to_string(res.f0.frames()) + " F0 frames)");
  }
  res.rms_dbfs = std::move(t.rms_dbfs);
  res.intensity_db = std::move(t.intensity_db);
  res.nuclei_intensity_db = std::move(t.nuclei_intensity_db);

  // Silences: intensity below q99 − silence_db (or at the digital-silence floor) for ≥ min_pause.
  // A quiet run at either end of the clip is outside the utterance whatever its length (as in
  // resegment, where the ends outside the detected speech never sound): counted as sounding, the
  // 0.1 s of room noise around a clip cut at its speech entered the phonation time and the level
  // percentiles, which then read the recording's noise floor (its level relative to the speech
  // changes with the gain of a 16-bit file). Only runs ≥ min_pause are listed as silences.
  // The threshold never lies within noise_margin_db of the clip's noise floor: in noise less than
  // silence_db under the speech peaks (white noise at 10 dB SNR) q99 − silence_db fell below the
  // noise, the whole clip sounded, and the phonation time (so the articulation rate) and the
  // speech span took in the noise around the speech.
  // The floor is the noise_floor_quantile (0.02) of the intensities: low enough to fall in the
  // margins of a clip cut 0.02 s outside its speech (with the 0.05 quantile such a cut clip's
  // weakest speech frames set the floor and its articulation rate moved 1 % from the whole file's).
  // It never lifts the threshold within noise_min_range_db (10 dB) of q99: a clip without a floor
  // under its speech (a sustained vowel) reads its own weakest frames as the floor, and a sustained
  // vowel with a ±1.6 dB tremolo lost 40 % of its phonation to the rule.
  std::vector<double> iv(res.intensity_db.begin(), res.intensity_db.end());
  const double q99 = quantile(iv, 0.99), noise_floor = quantile(iv, o.noise_floor_quantile);
  res.silence_threshold_db =
      std::max(q99 - o.silence_db, std::min(noise_floor + o.noise_margin_db, q99 - o.noise_min_range_db));
  auto quiet = [&](size_t i) {
    return res.intensity_db[i] < res.silence_threshold_db || res.intensity_db[i] <= kIntensityFloorDb;
  };
  std::vector<char> silent(frames, 0);
  for (auto r : runs(frames, quiet)) {
    Segment sg = to_segment(r, hop, res.duration);
    const bool inner = r.first > 0 && r.second + 1 < frames;
    const bool listed = double(r.second - r.first + 1) * hop + 1e-9 >= o.min_pause_seconds;
    if (inner && !listed) continue;
    for (size_t i = r.first; i <= r.second; ++i) silent[i] = 1;
    if (!listed) continue;
    res.silences.push_back(sg);
    if (inner) res.pauses.push_back(sg);
  }
  double phonation = 0;
  for (auto r : runs(frames, [&](size_t i) { return !silent[i]; })) {
    Segment sg = to_segment(r, hop, res.duration);
    res.sounding.push_back(sg);
    phonation += sg.end - sg.start;
  }

  // Syllable nuclei (De Jong & Wempe 2009): peaks of the smoother intensity contour above its own
  // q99 − silence_db, preceded (since the previous peak, or the start) by a dip ≥ min_dip_db,
  // outside silences and voiced at the peak frame or a neighbouring one.
  {
    const auto& I = res.nuclei_intensity_db;
    std::vector<double> nv(I.begin(), I.end());
    const double thr = quantile(nv, 0.99) - o.silence_db;
    auto voiced_at = [&](size_t i) {
      for (long k = long(i) - 1; k <= long(i) + 1; ++k)
        if (k >= 0 && size_t(k) < frames && !std::isnan(res.f0.f0[size_t(k)])) return true;
      return false;
    };
    std::vector<size_t> peaks;
    for (size_t i = 1; i + 1 < frames; ++i)
      if (I[i] > I[i - 1] && I[i] >= I[i + 1]) peaks.push_back(i);
    for (size_t k = 0; k < peaks.size(); ++k) {
      const size_t i = peaks[k];
      const size_t a = k ? peaks[k - 1] : 0, b = k + 1 < peaks.size() ? peaks[k + 1] : frames - 1;
      float before = *std::min_element(I.begin() + long(a), I.begin() + long(i) + 1);
      float after = *std::min_element(I.begin() + long(i), I.begin() + long(b) + 1);
      bool dips = I[i] - before >= o.min_dip_db && (!o.nuclei_dip_after || I[i] - after >= o.min_dip_db);
      if (I[i] > thr && I[i] > kIntensityFloorDb && dips && !silent[i] && voiced_at(i))
        res.nuclei.push_back({double(i) * hop, I[i]});
    }
  }

  // Voiced / unvoiced segments.
  const auto& f0 = res.f0.f0;
  std::vector<double> vlen, ulen;
  for (auto r : runs(frames, [&](size_t i) { return !std::isnan(f0[i]); })) {
    res.voiced.push_back(to_segment(r, hop, res.duration));
    vlen.push_back(res.voiced.back().end - res.voiced.back().start);
  }
  for (auto r : runs(frames, [&](size_t i) { return std::isnan(f0[i]); })) {
    res.unvoiced.push_back(to_segment(r, hop, res.duration));
    ulen.push_back(res.unvoiced.back().end - res.unvoiced.back().start);
  }

  // Functionals.
  std::vector<double> st, hz;
  for (size_t i = 0; i < frames; ++i)
    if (!std::isnan(f0[i])) {
      hz.push_back(f0[i]);
      st.push_back(12 * std::log2(f0[i] / 27.5));
    }
  if (!st.empty()) {
    fn.f0_mean_st = mean_of(st);
    fn.f0_sd_st = sd_of(st);
    fn.f0_p5_st = quantile(st, 0.05);
    fn.f0_p20_st = quantile(st, 0.20);
    fn.f0_p50_st = quantile(st, 0.50);
    fn.f0_p80_st = quantile(st, 0.80);
    fn.f0_p95_st = quantile(st, 0.95);
    fn.f0_range_20_80_st = fn.f0_p80_st - fn.f0_p20_st;
    fn.f0_range_5_95_st = fn.f0_p95_st - fn.f0_p5_st;
    fn.f0_median_hz = quantile(hz, 0.5);
    // Slopes: monotone runs of the semitone contour inside voiced segments.
    std::vector<double> rise, fall;
    for (auto r : runs(frames, [&](size_t i) { return !std::isnan(f0[i]); })) {
      size_t a = r.first;
      int sign = 0;
      for (size_t i = r.first + 1; i <= r.second + 1; ++i) {
        int s = 0;
        if (i <= r.second) {
          double d = f0[i] - f0[i - 1];
          s = d > 0 ? 1 : d < 0 ? -1 : sign;
        }
        if (i > r.second || (sign != 0 && s != sign)) {
          size_t b = i - 1;
          if (b > a && sign != 0) {
            double slope = 12 * std::log2(double(f0[b]) / f0[a]) / (double(b - a) * hop);
            (sign > 0 ? rise : fall).push_back(std::fabs(slope));
          }
          a = i - 1;
        }
        sign = s;
      }
    }
    fn.f0_rising_slope_st_s = mean_of(rise);
    fn.f0_falling_slope_st_s = mean_of(fall);
  }
  std::vector<double> in_s, rms_s;
  for (size_t i = 0; i < frames; ++i)
    if (!silent[i] && res.intensity_db[i] > kIntensityFloorDb) {
      in_s.push_back(res.intensity_db[i]);
      rms_s.push_back(res.rms_dbfs[i]);
    }
  if (!in_s.empty()) {
    fn.intensity_mean_db = mean_of(in_s);
    fn.intensity_sd_db = sd_of(in_s);
    fn.intensity_p5_db = quantile(in_s, 0.05);
    fn.intensity_p20_db = quantile(in_s, 0.2);
    fn.intensity_p50_db = quantile(in_s, 0.5);
    fn.intensity_p80_db = quantile(in_s, 0.8);
    fn.intensity_p95_db = quantile(in_s, 0.95);
    fn.rms_mean_dbfs = mean_of(rms_s);
    fn.rms_sd_dbfs = sd_of(rms_s);
    fn.rms_p5_dbfs = quantile(rms_s, 0.05);
    fn.rms_p20_dbfs = quantile(rms_s, 0.2);
    fn.rms_p50_dbfs = quantile(rms_s, 0.5);
    fn.rms_p80_dbfs = quantile(rms_s, 0.8);
    fn.rms_p95_dbfs = quantile(rms_s, 0.95);
  }
  fn.voiced_ratio = double(hz.size()) / double(frames);
  fn.voiced_segments_per_second = res.duration > 0 ? double(res.voiced.size()) / res.duration : kNaN;
  fn.voiced_segment_mean_s = mean_of(vlen);
  fn.voiced_segment_sd_s = sd_of(vlen);
  fn.unvoiced_segment_mean_s = mean_of(ulen);
  fn.unvoiced_segment_sd_s = sd_of(ulen);
  duration_functionals(res, phonation);
  res.intonation = classify_intonation(res.f0.f0, res.f0.nccf, hop);
  return res;
}

}  // namespace prosody
}  // namespace et
