#include "spectral.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "../audio/limits.hpp"
#include "../common/error.hpp"
#include "../common/cancel.hpp"
#include "../dsp/fft.hpp"

namespace et::features {
namespace {

double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

// Triangular filters on the HTK mel scale, as (first bin, weights) per band.
struct MelBank {
  std::vector<size_t> start;
  std::vector<std::vector<float>> weights;
};

MelBank mel_bank(int bands, size_t nfft, double rate, double fmin, double fmax) {
  MelBank b;
  const double mlo = hz_to_mel(fmin), mhi = hz_to_mel(fmax);
  std::vector<double> edges(size_t(bands) + 2);
  for (size_t i = 0; i < edges.size(); ++i) edges[i] = mel_to_hz(mlo + (mhi - mlo) * double(i) / double(bands + 1));
  const size_t bins = nfft / 2 + 1;
  for (int m = 0; m < bands; ++m) {
    const double lo = edges[size_t(m)], mid = edges[size_t(m) + 1], hi = edges[size_t(m) + 2];
    std::vector<float> w;
    size_t first = bins;
    for (size_t k = 0; k < bins; ++k) {
      double f = double(k) * rate / double(nfft);
      double v = f <= lo || f >= hi ? 0.0 : (f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid));
      if (v > 0) {
        if (first == bins) first = k;
        w.resize(k - first + 1, 0.0f);
        w[k - first] = float(v);
      }
    }
    if (first == bins) first = 0;  // a band narrower than one bin stays empty (floor energy)
    b.start.push_back(first);
    b.weights.push_back(std::move(w));
  }
  return b;
}

}  // namespace

SpectralStats spectral_stats(const float* x, size_t n, double rate, const SpectralOptions& o) {
  if (!(rate >= 4000)) throw Error(ErrorCode::InvalidArg, "spectral features need a sample rate >= 4000 Hz; got " + std::to_string(rate));
  if (!(rate <= limits::kMaxSampleRate)) limits::check_rate_arg(rate, "sampleRate");
  limits::check_samples(x, n, 1, ErrorCode::InvalidArg, "");
  if (o.mel_bands < 4 || o.mel_bands > 256 || o.mfcc < 1 || o.mfcc > o.mel_bands) {
    throw Error(ErrorCode::InvalidArg, "need 4..256 mel bands and 1..mel_bands MFCCs");
  }
  const size_t win = size_t(std::lround(o.window_seconds * rate));
  const size_t hop = size_t(std::lround(o.hop_seconds * rate));
  if (win < 16 || hop < 1) throw Error(ErrorCode::InvalidArg, "window and hop too short for this sample rate");
  size_t nfft = 16;
  while (nfft < win) nfft <<= 1;
  const double fmax = o.fmax > 0 ? std::min(o.fmax, rate / 2) : rate / 2;
  const int M = o.mel_bands, C = o.mfcc;

  SpectralStats s;
  s.mel_mean.assign(size_t(M), 0.f), s.mel_std.assign(size_t(M), 0.f);
  s.mfcc_mean.assign(size_t(C), 0.f), s.mfcc_std.assign(size_t(C), 0.f), s.delta_mfcc_std.assign(size_t(C), 0.f);
  if (n < win) return s;
  const size_t frames = 1 + (n - win) / hop;
  s.frames = frames;

  dsp::RealFft fft(nfft);
  MelBank bank = mel_bank(M, nfft, rate, o.fmin, fmax);
  std::vector<double> hamming(win);
  for (size_t i = 0; i < win; ++i) hamming[i] = 0.54 - 0.46 * std::cos(2 * M_PI * double(i) / double(win - 1));
  // Orthonormal DCT-II rows for the cepstrum.
  std::vector<double> dct(size_t(C) * size_t(M));
  for (int c = 0; c < C; ++c)
    for (int m = 0; m < M; ++m)
      dct[size_t(c) * size_t(M) + size_t(m)] = std::sqrt((c == 0 ? 1.0 : 2.0) / M) * std::cos(M_PI * c * (m + 0.5) / M);

  std::vector<float> frame(nfft), power(nfft / 2 + 1);
  std::vector<std::complex<double>> work;
  std::vector<float> logmel(frames * size_t(M)), mfcc(frames * size_t(C));
  std::vector<double> energy_db(frames);
  for (size_t f = 0; f < frames; ++f) {
    if (f % 4096 == 0) check_cancel();
    const float* p = x + f * hop;
    double mean = 0;
    for (size_t i = 0; i < win; ++i) mean += p[i];
    mean /= double(win);
    double e = 0;
    for (size_t i = 0; i < win; ++i) {
      double prev = i ? double(p[i - 1]) - mean : (f * hop ? double(p[-1]) - mean : 0.0);
      double v = (double(p[i]) - mean) - o.preemphasis * prev;
      frame[i] = float(v * hamming[i]);
      e += double(p[i] - mean) * double(p[i] - mean);
    }
    std::fill(frame.begin() + long(win), frame.end(), 0.0f);
    energy_db[f] = 10 * std::log10(e / double(win) + 1e-12);
    fft.power(frame.data(), power.data(), work);
    float* lm = &logmel[f * size_t(M)];
    for (int m = 0; m < M; ++m) {
      double acc = 0;
      const auto& w = bank.weights[size_t(m)];
      for (size_t k = 0; k < w.size(); ++k) acc += double(w[k]) * power[bank.start[size_t(m)] + k];
      lm[m] = float(acc);  // band power; the log comes once the clip's peak is known
    }
  }
  // Each band's log floor is relative to that band's own strongest frame (BAND_RANGE_DB below
  // it), not an absolute constant: an absolute floor made quiet recordings' statistics differ
  // from the same speech recorded louder, and a floor under the clip's strongest band left the
  // weak high bands of a quiet 16-bit recording at its quantisation noise. Scaling the input by
  // g shifts every log-mel value by ln(g^2) (only the band means and MFCC 0 move; deviations
  // and shapes stay) until the noise comes within that range of a band's peak.
  constexpr double BAND_RANGE_DB = 25.0;
  std::vector<double> band_floor(size_t(M), 0.0);
  for (size_t f = 0; f < frames; ++f)
    for (int m = 0; m < M; ++m) band_floor[size_t(m)] = std::max(band_floor[size_t(m)], double(logmel[f * size_t(M) + size_t(m)]));
  for (double& v : band_floor) v = v > 0 ? v * std::pow(10.0, -BAND_RANGE_DB / 10) : 1e-30;
  for (size_t f = 0; f < frames; ++f) {
    float* lm = &logmel[f * size_t(M)];
    for (int m = 0; m < M; ++m) lm[m] = float(std::log(double(lm[m]) + band_floor[size_t(m)]));
    for (int c = 0; c < C; ++c) {
      double acc = 0;
      for (int m = 0; m < M; ++m) acc += dct[size_t(c) * size_t(M) + size_t(m)] * lm[m];
      mfcc[f * size_t(C) + size_t(c)] = float(acc);
    }
  }
  const double loudest = *std::max_element(energy_db.begin(), energy_db.end());
  std::vector<size_t> used;
  for (size_t f = 0; f < frames; ++f)
    if (energy_db[f] >= loudest - o.floor_db) used.push_back(f);
  s.used_frames = used.size();
  auto moments = [&](const std::vector<float>& v, int dim, std::vector<float>& mean, std::vector<float>& sd) {
    for (int d = 0; d < dim; ++d) {
      double sum = 0, sq = 0;
      for (size_t f : used) sum += v[f * size_t(dim) + size_t(d)];
      double mu = sum / double(used.size());
      for (size_t f : used) {
        double e = v[f * size_t(dim) + size_t(d)] - mu;
        sq += e * e;
      }
      mean[size_t(d)] = float(mu);
      sd[size_t(d)] = float(std::sqrt(sq / double(used.size())));
    }
  };
  moments(logmel, M, s.mel_mean, s.mel_std);
  moments(mfcc, C, s.mfcc_mean, s.mfcc_std);
  // Spread of the frame-to-frame MFCC change over consecutive used frames.
  for (int c = 0; c < C; ++c) {
    double sum = 0, sq = 0;
    size_t cnt = 0;
    for (size_t i = 1; i < used.size(); ++i) {
      if (used[i] != used[i - 1] + 1) continue;
      double d = double(mfcc[used[i] * size_t(C) + size_t(c)]) - mfcc[used[i - 1] * size_t(C) + size_t(c)];
      sum += d, sq += d * d, ++cnt;
    }
    if (cnt > 1) {
      double mu = sum / double(cnt);
      s.delta_mfcc_std[size_t(c)] = float(std::sqrt(std::max(0.0, sq / double(cnt) - mu * mu)));
    }
  }
  return s;
}

}  // namespace et::features
