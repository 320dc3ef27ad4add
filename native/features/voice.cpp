#include "voice.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <limits>

#include "../audio/limits.hpp"
#include "../common/error.hpp"
#include "../common/cancel.hpp"
#include "../dsp/fft.hpp"

namespace et::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Moments {
  double sum = 0, sq = 0;
  size_t n = 0;
  void add(double v) {
    if (!std::isfinite(v)) return;
    sum += v, sq += v * v, ++n;
  }
  double mean() const { return n ? sum / double(n) : kNaN; }
  double sd() const {
    if (n < 2) return kNaN;
    double m = sum / double(n);
    return std::sqrt(std::max(0.0, sq / double(n) - m * m));
  }
};

bool voiced(const float* f0, size_t i) { return std::isfinite(f0[i]) && f0[i] > 0; }

// Normalised cross-correlation of the window [a, a + len) with itself shifted by k samples
// (both segments inside the signal; samples outside count as zero).
double nccf_at(const float* x, size_t n, long a, long len, long k) {
  double xy = 0, xx = 0, yy = 0;
  if (a >= 0 && a + k >= 0 && a + len <= long(n) && a + len + k <= long(n)) {
    // Both segments inside: the same sums without the bounds tests.
    const float* u = x + a;
    const float* v = x + a + k;
    for (long i = 0; i < len; ++i) {
      double p = u[i], q = v[i];
      xy += p * q, xx += p * p, yy += q * q;
    }
    return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0.0;
  }
  for (long i = 0; i < len; ++i) {
    long p = a + i, q = a + i + k;
    double u = p >= 0 && p < long(n) ? x[p] : 0.0;
    double v = q >= 0 && q < long(n) ? x[q] : 0.0;
    xy += u * v, xx += u * u, yy += v * v;
  }
  return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0.0;
}

// nccf_at for the five lags k0 − 2 … k0 + 2 of one frame centred at c (window [c − (len + k)/2,
// + len) for lag k; r = −1 for a lag below 1). Where every window lies inside the signal the five
// run in one pass: fifteen independent sums, each adding the same terms in the same order as
// nccf_at (same bits), which the CPU overlaps instead of waiting on one chain of additions.
void nccf5(const float* x, size_t n, long c, long len, long k0, std::array<double, 5>& r) {
  bool inside = k0 - 2 >= 1;
  const float* u[5];
  for (long d = 0; d < 5 && inside; ++d) {
    const long k = k0 - 2 + d, a = c - (len + k) / 2;
    inside = a >= 0 && a + len + k <= long(n);
    u[d] = x + a;
  }
  if (!inside) {
    for (long d = 0; d < 5; ++d) {
      const long k = k0 - 2 + d;
      r[size_t(d)] = k >= 1 ? nccf_at(x, n, c - (len + k) / 2, len, k) : -1;
    }
    return;
  }
  double xy[5] = {0, 0, 0, 0, 0}, xx[5] = {0, 0, 0, 0, 0}, yy[5] = {0, 0, 0, 0, 0};
  for (long i = 0; i < len; ++i) {
    for (long d = 0; d < 5; ++d) {
      const double p = u[d][i], q = u[d][i + k0 - 2 + d];
      xy[d] += p * q, xx[d] += p * p, yy[d] += q * q;
    }
  }
  for (size_t d = 0; d < 5; ++d) r[d] = xx[d] > 0 && yy[d] > 0 ? xy[d] / std::sqrt(xx[d] * yy[d]) : 0.0;
}

// Least-squares slope of y against x.
double slope(const std::vector<double>& xs, const std::vector<double>& ys) {
  size_t m = xs.size();
  if (m < 2) return kNaN;
  double mx = 0, my = 0;
  for (size_t i = 0; i < m; ++i) mx += xs[i], my += ys[i];
  mx /= double(m), my /= double(m);
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < m; ++i) sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
  return sxx > 0 ? sxy / sxx : kNaN;
}

}  // namespace

#define ET_VOICE_SPEC(...) ET_OPTION_SPEC(VoiceOptions, , __VA_ARGS__)
const options::Spec<VoiceOptions> kVoiceOptionSpecs[] = {ET_VOICE_OPTIONS(ET_VOICE_SPEC)};
const size_t kVoiceOptionCount = sizeof kVoiceOptionSpecs / sizeof kVoiceOptionSpecs[0];
#undef ET_VOICE_SPEC

void validate(const VoiceOptions& o) {
  options::check_ranges(kVoiceOptionSpecs, kVoiceOptionCount, o);
  if (!(o.f0_min < o.f0_max)) {
    throw Error(ErrorCode::InvalidArg, "option \"f0Min\" must be below f0Max; got f0Min " + options::format_number(o.f0_min) +
                                           ", f0Max " + options::format_number(o.f0_max));
  }
}

VoiceStats voice_stats(const float* x, size_t n, double rate, const float* f0, size_t frames, double hop, const VoiceOptions& o) {
  if (!(rate >= 8000) || !std::isfinite(rate)) throw Error(ErrorCode::InvalidArg, "voice features need a sample rate >= 8000 Hz; got " + std::to_string(rate));
  if (!(rate <= limits::kMaxSampleRate)) limits::check_rate_arg(rate, "sampleRate");
  limits::check_samples(x, n, 1, ErrorCode::InvalidArg, "");
  if (!(hop > 0) || !std::isfinite(hop)) throw Error(ErrorCode::InvalidArg, "hopSeconds must be > 0");
  validate(o);
  VoiceStats s;
  s.hnr_mean = s.hnr_sd = s.jitter_local = s.shimmer_local = s.shimmer_db = kNaN;
  s.alpha_mean = s.alpha_sd = s.hammarberg_mean = s.hammarberg_sd = kNaN;
  s.slope_lo_mean = s.slope_lo_sd = s.slope_hi_mean = s.slope_hi_sd = kNaN;
  s.h1h2_mean = s.h1h2_sd = s.flux_mean = s.flux_sd = kNaN;
  s.alpha_uv = s.hammarberg_uv = s.slope_lo_uv = s.slope_hi_uv = kNaN;
  if (n == 0 || frames == 0) return s;

  auto period_at = [&](size_t i) { return rate / double(f0[i]); };  // samples
  auto centre = [&](size_t i) { return long(std::lround(double(i) * hop * rate)); };

  // --- HNR per voiced frame.
  Moments hnr;
  const long min_len = long(std::lround(o.window_seconds * rate));
  for (size_t i = 0; i < frames; ++i) {
    if (i % 4096 == 0) check_cancel();
    if (!voiced(f0, i)) continue;
    ++s.voiced_frames;
    const double T = period_at(i);
    const long len = std::max(min_len, long(std::lround(o.hnr_periods * T)));
    const long k0 = long(std::lround(T));
    double best = -2;
    long bk = k0;
    std::array<double, 5> r{};  // NCCF at the lags k0-2 .. k0+2
    nccf5(x, n, centre(i), len, k0, r);
    for (long d = -2; d <= 2; ++d)
      if (r[size_t(d + 2)] > best) best = r[size_t(d + 2)], bk = k0 + d;
    long j = bk - k0 + 2;
    if (j > 0 && j < 4) {  // parabolic peak height
      double a = r[size_t(j - 1)], b = r[size_t(j)], c = r[size_t(j + 1)];
      double den = a - 2 * b + c;
      if (den < 0) best = b - 0.125 * (c - a) * (c - a) / den;
    }
    double rr = std::clamp(best, 0.001, 0.999);
    hnr.add(10 * std::log10(rr / (1 - rr)));
  }
  s.hnr_mean = hnr.mean(), s.hnr_sd = hnr.sd();

  // --- Cycle marks, jitter and shimmer per voiced stretch.
  double sum_dT = 0, sum_T = 0, sum_dA = 0, sum_A = 0, sum_dB = 0;
  size_t nT = 0, nA = 0;  // pairs
  size_t i = 0;
  while (i < frames) {
    if (!voiced(f0, i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < frames && voiced(f0, j)) ++j;
    const size_t fa = i, fb = j;  // [fa, fb)
    i = j;
    if (fb - fa < o.min_stretch_frames) continue;
    const long begin = std::max(0L, long(std::lround((double(fa) - 0.5) * hop * rate)));
    const long end = std::min(long(n), long(std::lround((double(fb) - 0.5) * hop * rate)));
    if (end - begin < 8) continue;
    // Local period (samples) at sample t, linear between frame centres.
    auto T_at = [&](double t) {
      double fi = t / (hop * rate);
      long k = long(std::floor(fi));
      k = std::clamp(k, long(fa), long(fb) - 1);
      long k2 = std::min(k + 1, long(fb) - 1);
      double w = std::clamp(fi - double(k), 0.0, 1.0);
      return (1 - w) * period_at(size_t(k)) + w * period_at(size_t(k2));
    };
    // Polarity: follow the larger of the positive and negative peaks.
    float mx = 0, mn = 0;
    for (long t = begin; t < end; ++t) mx = std::max(mx, x[t]), mn = std::min(mn, x[t]);
    const double sign = mx >= -mn ? 1.0 : -1.0;
    auto peak_in = [&](long a, long b, double& pos, double& height) {  // highest sign·x in [a, b), refined
      a = std::max(a, begin), b = std::min(b, end);
      if (b - a < 1) return false;
      long m = a;
      for (long t = a; t < b; ++t)
        if (sign * x[t] > sign * x[m]) m = t;
      pos = double(m), height = sign * x[m];
      if (m > 0 && m + 1 < long(n)) {
        double y0 = sign * x[m - 1], y1 = sign * x[m], y2 = sign * x[m + 1];
        double den = y0 - 2 * y1 + y2;
        if (den < 0) {
          double d = std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5);
          pos += d, height = y1 - 0.25 * (y0 - y2) * d;
        }
      }
      return true;
    };
    std::vector<double> marks, amp;  // amp: peak amplitude (sign·x) at each mark
    double m, h;
    if (!peak_in(begin, begin + long(std::ceil(T_at(double(begin)))), m, h)) continue;
    marks.push_back(m), amp.push_back(h);
    for (;;) {
      double T = T_at(m);
      double c = m + T;
      long a = long(std::floor(c - o.mark_search * T)), b = long(std::ceil(c + o.mark_search * T)) + 1;
      if (b > end) break;
      if (!peak_in(a, b, m, h)) break;
      if (m <= marks.back()) break;
      marks.push_back(m), amp.push_back(h);
    }
    if (marks.size() < 3) continue;
    const size_t P = marks.size() - 1;
    std::vector<double> per(P);
    std::vector<bool> ok(P);
    for (size_t p = 0; p < P; ++p) {
      per[p] = (marks[p + 1] - marks[p]) / rate;
      ok[p] = per[p] >= 1 / o.f0_max && per[p] <= 1 / o.f0_min;
    }
    s.periods += P;
    for (size_t p = 0; p < P; ++p) {
      // Shimmer: the two peaks that bound a valid period.
      if (ok[p] && amp[p] > 0 && amp[p + 1] > 0) {
        sum_dA += std::fabs(amp[p + 1] - amp[p]), sum_A += 0.5 * (amp[p] + amp[p + 1]);
        sum_dB += std::fabs(20 * std::log10(amp[p + 1] / amp[p]));
        ++nA;
      }
      // Jitter: two consecutive valid periods within the period factor.
      if (p == 0 || !ok[p] || !ok[p - 1]) continue;
      double ratio = per[p] > per[p - 1] ? per[p] / per[p - 1] : per[p - 1] / per[p];
      if (ratio > o.max_period_factor) continue;
      sum_dT += std::fabs(per[p] - per[p - 1]), sum_T += 0.5 * (per[p] + per[p - 1]), ++nT;
    }
  }
  if (nT > 0 && sum_T > 0) s.jitter_local = sum_dT / sum_T;
  if (nA > 0 && sum_A > 0) s.shimmer_local = sum_dA / sum_A, s.shimmer_db = sum_dB / double(nA);

  // --- Spectral balance per frame.
  const long win = std::max(16L, long(std::lround(o.window_seconds * rate)));
  size_t nfft = 16;
  while (nfft < size_t(win)) nfft <<= 1;
  const size_t bins = nfft / 2 + 1;
  const double df = rate / double(nfft);
  std::vector<double> hamming(static_cast<size_t>(win));
  for (long t = 0; t < win; ++t) hamming[size_t(t)] = 0.54 - 0.46 * std::cos(2 * M_PI * double(t) / double(win - 1));
  std::vector<double> level(frames);
  for (size_t f = 0; f < frames;) {
    if (f % 4096 < 4) check_cancel();
    // Four frames whose windows lie inside the signal in one pass (four independent sums, each in
    // its own order, so the same bits as one frame at a time, without waiting on one chain).
    if (f + 4 <= frames && centre(f) - win / 2 >= 0 && centre(f + 3) - win / 2 + win <= long(n)) {
      const float* p[4];
      for (size_t j = 0; j < 4; ++j) p[j] = x + (centre(f + j) - win / 2);
      double e[4] = {0, 0, 0, 0};
      for (long t = 0; t < win; ++t)
        for (size_t j = 0; j < 4; ++j) e[j] += double(p[j][t]) * double(p[j][t]);
      for (size_t j = 0; j < 4; ++j) level[f + j] = 10 * std::log10(e[j] / double(win) + 1e-12);
      f += 4;
      continue;
    }
    long a = centre(f) - win / 2;
    double e = 0;
    // Samples outside the signal add nothing: sum over the part inside (same terms, same order).
    for (long p = std::max(a, 0L), end = std::min(a + win, long(n)); p < end; ++p) e += double(x[p]) * double(x[p]);
    level[f] = 10 * std::log10(e / double(win) + 1e-12);
    ++f;
  }
  const double loudest = *std::max_element(level.begin(), level.end());
  dsp::RealFft fft(nfft);
  std::vector<float> frame(nfft), power(bins), prev(bins);
  std::vector<std::complex<double>> work;
  bool have_prev = false;
  Moments alpha, hamm, slo, shi, h12, flux, alpha_u, hamm_u, slo_u, shi_u;
  // Floor of every power bin: white noise 50 dB below the loudest frame (its mean power times
  // the window's energy), not an absolute constant. An absolute floor made a quiet recording's
  // empty bands (and its 16-bit quantisation noise) change the balance measures; relative to the
  // clip, scaling the input leaves them unchanged until the noise floor comes within 50 dB.
  double w2 = 0;
  for (double w : hamming) w2 += w * w;
  const double eps = std::max(1e-30, std::pow(10.0, loudest / 10) * w2 * 1e-5);
  // The bins whose frequency k·df lies in [lo, hi) (or [lo, hi] with `closed`): a contiguous
  // range, found with the same comparisons as a test of every bin, so the loops below visit the
  // same bins in the same order as one over all bins would (same sums, same bits), without
  // scanning the 513 bins of a 1024-point spectrum per band and frame.
  struct Range {
    size_t a, b;
  };
  auto bin_range = [&](double lo, double hi, bool closed) {
    auto in = [&](size_t k) {
      double f = double(k) * df;
      return f >= lo && (closed ? f <= hi : f < hi);
    };
    size_t a = lo > 0 ? std::min(bins, size_t(std::max(0.0, std::floor(lo / df) - 1))) : 0;
    while (a < bins && double(a) * df < lo) ++a;
    while (a > 0 && double(a - 1) * df >= lo) --a;
    size_t b = a;
    while (b < bins && in(b)) ++b;
    return Range{a, b};
  };
  auto band_sum = [&](Range r) {
    double acc = 0;
    for (size_t k = r.a; k < r.b; ++k) acc += power[k] + eps;
    return acc;
  };
  // Strongest bin in [lo, hi) as power, refined by a parabola through the dB values around it.
  auto band_max = [&](Range r) {
    size_t best = bins;
    for (size_t k = r.a; k < r.b; ++k)
      if (best == bins || power[k] > power[best]) best = k;
    if (best == bins) return 0.0;
    // Through the floored powers: a neighbour at the quantisation noise (orders of magnitude
    // below the peak) sent the parabola's vertex to absurd heights.
    double peak = power[best] + eps;
    if (best > 0 && best + 1 < bins) {
      double a = 10 * std::log10(double(power[best - 1]) + eps), b = 10 * std::log10(peak), c = 10 * std::log10(double(power[best + 1]) + eps);
      double den = a - 2 * b + c;
      // Only at a local maximum: the band's strongest bin may sit at the band edge with a larger
      // neighbour outside it, and the parabola through those has its vertex anywhere (a frame
      // once reported 10^76).
      if (den < 0 && b >= a && b >= c) peak = std::pow(10.0, (b - 0.125 * (c - a) * (c - a) / den) / 10);
    }
    return peak;
  };
  // The slope's frequencies (kHz) per band, and its dB values per frame (reused buffers).
  std::vector<double> ys;
  auto slope_xs = [&](Range r) {
    std::vector<double> xs;
    for (size_t k = r.a; k < r.b; ++k) xs.push_back(double(k) * df / 1000.0);
    return xs;
  };
  auto band_slope = [&](Range r, const std::vector<double>& xs) {
    ys.clear();
    for (size_t k = r.a; k < r.b; ++k) ys.push_back(10 * std::log10(power[k] + eps));
    return slope(xs, ys);
  };
  const double nyq = rate / 2;
  const double hi5 = std::min(5000.0, nyq);
  const Range r_alpha_lo = bin_range(50, 1000, false), r_alpha_hi = bin_range(1000, hi5, false);
  const Range r_hb_lo = bin_range(0, 2000, false), r_hb_hi = bin_range(2000, hi5, false);
  const Range r_slo = bin_range(0, 500, true), r_shi = bin_range(500, 1500, true);
  const std::vector<double> xs_lo = slope_xs(r_slo), xs_hi = slope_xs(r_shi);
  for (size_t f = 0; f < frames; ++f) {
    if (f % 4096 == 0) check_cancel();
    const bool v = voiced(f0, f);
    const bool sounding = level[f] >= loudest - o.unvoiced_floor_db;
    if (!v && !sounding) {
      have_prev = false;
      continue;
    }
    long a = centre(f) - win / 2;
    double mean = 0;
    for (long t = 0; t < win; ++t) {
      long p = a + t;
      mean += p >= 0 && p < long(n) ? x[p] : 0.0;
    }
    mean /= double(win);
    for (long t = 0; t < win; ++t) {
      long p = a + t;
      double u = p >= 0 && p < long(n) ? double(x[p]) - mean : 0.0;
      frame[size_t(t)] = float(u * hamming[size_t(t)]);
    }
    std::fill(frame.begin() + win, frame.end(), 0.0f);
    fft.power(frame.data(), power.data(), work);
    double al = 10 * std::log10((band_sum(r_alpha_lo) + eps) / (band_sum(r_alpha_hi) + eps));  // sums carry the floor per bin
    double hb = 10 * std::log10(std::max(band_max(r_hb_lo), eps) / std::max(band_max(r_hb_hi), eps));
    double sl = band_slope(r_slo, xs_lo), sh = band_slope(r_shi, xs_hi);
    if (v) {
      alpha.add(al), hamm.add(hb), slo.add(sl), shi.add(sh);
      double F = f0[f];
      double h1 = band_max(bin_range(0.9 * F, 1.1 * F + 1e-9, false)), h2 = band_max(bin_range(1.8 * F, 2.2 * F + 1e-9, false));
      if (h1 > 0 && h2 > 0) h12.add(10 * std::log10(h1 / h2));
    } else {
      ++s.unvoiced_frames;
      alpha_u.add(al), hamm_u.add(hb), slo_u.add(sl), shi_u.add(sh);
    }
    double tot = 0;
    for (size_t k = 0; k < bins; ++k) tot += power[k];
    if (tot > 0) {
      for (size_t k = 0; k < bins; ++k) power[k] = float(power[k] / tot);
      if (have_prev) {
        double d = 0;
        for (size_t k = 0; k < bins; ++k) d += (double(power[k]) - prev[k]) * (double(power[k]) - prev[k]);
        // In log units: the normalised flux spans orders of magnitude.
        flux.add(std::log10(d + 1e-9));
      }
      prev.swap(power);
      have_prev = true;
    } else {
      have_prev = false;
    }
  }
  s.alpha_mean = alpha.mean(), s.alpha_sd = alpha.sd();
  s.hammarberg_mean = hamm.mean(), s.hammarberg_sd = hamm.sd();
  s.slope_lo_mean = slo.mean(), s.slope_lo_sd = slo.sd();
  s.slope_hi_mean = shi.mean(), s.slope_hi_sd = shi.sd();
  s.h1h2_mean = h12.mean(), s.h1h2_sd = h12.sd();
  s.flux_mean = flux.mean(), s.flux_sd = flux.sd();
  s.alpha_uv = alpha_u.mean(), s.hammarberg_uv = hamm_u.mean(), s.slope_lo_uv = slo_u.mean(), s.slope_hi_uv = shi_u.mean();
  return s;
}

}  // namespace et::features
