#include "resample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "../common/error.hpp"
#include "../common/parallel.hpp"
#include "../common/simd.hpp"
#include "limits.hpp"
#include "resample_detail.hpp"

namespace et {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr size_t kBlock = 32;

// Zeroth-order modified Bessel function of the first kind, by its power series (converges fast
// for the beta values a Kaiser window uses).
double bessel_i0(double x) {
  double sum = 1.0, term = 1.0, q = x * x / 4.0;
  for (int k = 1; k < 200; ++k) {
    term *= q / (double(k) * double(k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

double kaiser_beta(double attenuation_db) {
  if (attenuation_db > 50.0) return 0.1102 * (attenuation_db - 8.7);
  if (attenuation_db >= 21.0) return 0.5842 * std::pow(attenuation_db - 21.0, 0.4) + 0.07886 * (attenuation_db - 21.0);
  return 0.0;
}

using resample_detail::FilterBank;

// Half-width of the filter in input samples (Kaiser's length estimate), and the padded tap count.
double filter_halfwidth(uint32_t from_rate, uint32_t to_rate, const ResampleQuality& q) {
  double scale = std::min(1.0, double(to_rate) / double(from_rate));
  double transition = (q.stopband - q.passband) * scale * 0.5;  // cycles per input sample
  double length = (q.attenuation_db - 7.95) / (14.36 * transition);
  return std::ceil(length / 2.0);
}
size_t padded_taps(size_t half) { return (2 * half + kBlock - 1) / kBlock * kBlock; }

FilterBank design(uint32_t from_rate, uint32_t to_rate, size_t phases, const ResampleQuality& q) {
  double ratio = double(to_rate) / double(from_rate);
  double scale = std::min(1.0, ratio);  // lower Nyquist as a fraction of the input Nyquist
  double cutoff = 0.5 * (q.passband + q.stopband) * scale;          // fraction of input Nyquist
  double halfwidth = filter_halfwidth(from_rate, to_rate, q);
  double beta = kaiser_beta(q.attenuation_db);
  double i0_beta = bessel_i0(beta);

  FilterBank bank;
  bank.phases = phases;
  bank.half = size_t(halfwidth);
  bank.taps = padded_taps(bank.half);
  bank.coef.assign((phases + 1) * bank.taps, 0.0f);
  std::vector<double> row(bank.taps);
  for (size_t p = 0; p <= phases; ++p) {
    double frac = double(p) / double(phases);
    double sum = 0.0;
    for (size_t k = 0; k < bank.taps; ++k) {
      // distance in input samples between the output instant and this tap's input sample
      double tau = frac - (double(k) - double(bank.half) + 1.0);
      double v = 0.0;
      if (k < 2 * bank.half && std::fabs(tau) < halfwidth) {
        double x = cutoff * tau;
        double sinc = x == 0.0 ? 1.0 : std::sin(kPi * x) / (kPi * x);
        double r = tau / halfwidth;
        v = cutoff * sinc * bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
      }
      row[k] = v;
      sum += v;
    }
    // Unit DC gain for every phase, so a constant stays exactly constant.
    for (size_t k = 0; k < bank.taps; ++k) bank.coef[p * bank.taps + k] = float(row[k] / sum);
  }
  return bank;
}

// n is a multiple of kBlock. kBlock independent partial sums let the compiler keep several
// vector accumulators in flight (one accumulator would be bound by FMA latency), without
// needing -ffast-math to reassociate.
ET_SIMD_CLONES float dot(const float* __restrict a, const float* __restrict b, size_t n) {
  float acc[kBlock] = {};
  for (size_t i = 0; i < n; i += kBlock)
    for (size_t j = 0; j < kBlock; ++j) acc[j] += a[i + j] * b[i + j];
  float s = 0.0f;
  for (size_t j = 0; j < kBlock; ++j) s += acc[j];
  return s;
}

void resample_range(const FilterBank& bank, const float* x_padded, size_t begin, size_t end, uint64_t up, uint64_t down,
                    bool exact_phases, float* out, size_t out_stride) {
  for (size_t n = begin; n < end; ++n) {
    uint64_t num = uint64_t(n) * down;  // output n sits at input time num / up
    uint64_t i = num / up;
    uint64_t rem = num % up;
    // padded by `half` zeros in front: x[0] is input i - half + 1 + ...
    out[n * out_stride] = resample_detail::bank_output(bank, x_padded + i, rem, up, exact_phases);
  }
}

}  // namespace

float resample_detail::bank_output(const FilterBank& bank, const float* x, uint64_t rem, uint64_t up, bool exact_phases) {
  if (exact_phases) return dot(bank.coef.data() + rem * bank.taps, x, bank.taps);
  double pos = double(rem) * double(bank.phases) / double(up);
  size_t p0 = size_t(pos);
  float a = float(pos - double(p0));
  float y0 = dot(bank.coef.data() + p0 * bank.taps, x, bank.taps);
  float y1 = dot(bank.coef.data() + (p0 + 1) * bank.taps, x, bank.taps);
  return y0 + a * (y1 - y0);
}

FilterBank resample_detail::make_bank(uint32_t from_rate, uint32_t to_rate, const ResampleQuality& quality, uint64_t* up_out,
                                      uint64_t* down_out, bool* exact_out) {
  uint64_t g = std::gcd(uint64_t(from_rate), uint64_t(to_rate));
  uint64_t up = to_rate / g, down = from_rate / g;
  double halfwidth = filter_halfwidth(from_rate, to_rate, quality);
  uint64_t taps = padded_taps(size_t(halfwidth));
  if (taps > limits::kMaxFilterTaps) {
    throw Error(ErrorCode::InvalidArg, "resampling " + std::to_string(from_rate) + " Hz to " + std::to_string(to_rate) +
                                           " Hz needs a " + std::to_string(taps) + "-tap filter; the limit is " +
                                           std::to_string(limits::kMaxFilterTaps));
  }
  // Exact phase tables up to 4096 phases; beyond that (rates with tiny common divisors) the
  // response is interpolated linearly between 4096 phases, which stays below -120 dB error.
  // A long filter (large down-sampling ratios, e.g. 767999 -> 1000 Hz: 1000 phases of ~98,600
  // taps, 395 MB and tens of seconds to design) gets fewer interpolated phases so the table stays
  // under kMaxFilterTableEntries: its response is smooth over 1/scale input samples, so the
  // interpolation error of P phases at scale s matches that of P/s phases at s = 1.
  constexpr uint64_t kMaxPhases = 4096;
  const uint64_t table_rows = limits::kMaxFilterTableEntries / taps;  // >= 4 within kMaxFilterTaps
  bool exact = up <= kMaxPhases && up + 1 <= table_rows;
  uint64_t phases = exact ? up : std::min<uint64_t>(kMaxPhases, table_rows - 1);
  double scale = std::min(1.0, double(to_rate) / double(from_rate));
  if (!exact && double(phases) < std::max(16.0, std::ceil(double(kMaxPhases) * scale))) {
    throw Error(ErrorCode::InvalidArg, "resampling " + std::to_string(from_rate) + " Hz to " + std::to_string(to_rate) +
                                           " Hz needs a filter table over " +
                                           std::to_string(limits::kMaxFilterTableEntries) + " entries");
  }
  FilterBank bank;
  try {
    bank = design(from_rate, to_rate, size_t(phases), quality);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::OutOfMemory, "cannot allocate a " + std::to_string((phases + 1) * taps) +
                                            "-entry filter table for resampling");
  }
  *up_out = up;
  *down_out = down;
  *exact_out = exact;
  return bank;
}

size_t resampled_length(size_t frames, uint32_t from_rate, uint32_t to_rate) {
  uint64_t g = std::gcd(uint64_t(from_rate), uint64_t(to_rate));
  uint64_t up = to_rate / g, down = from_rate / g;
  return size_t((uint64_t(frames) * up + down - 1) / down);
}

#define ET_RESAMPLE_SPEC(...) ET_OPTION_SPEC(ResampleQuality, , __VA_ARGS__)
const options::Spec<ResampleQuality> kResampleOptionSpecs[] = {ET_RESAMPLE_OPTIONS(ET_RESAMPLE_SPEC)};
const size_t kResampleOptionCount = sizeof kResampleOptionSpecs / sizeof kResampleOptionSpecs[0];
#undef ET_RESAMPLE_SPEC

void validate(const ResampleQuality& q) {
  options::check_ranges(kResampleOptionSpecs, kResampleOptionCount, q);
  if (!(q.passband < q.stopband)) {
    throw Error(ErrorCode::InvalidArg, "option \"passband\" must be below stopband; got passband " +
                                           options::format_number(q.passband) + ", stopband " + options::format_number(q.stopband));
  }
}

std::vector<float> resample(const float* input, size_t frames, uint32_t channels, uint32_t from_rate,
                            uint32_t to_rate, const ResampleQuality& quality, bool mono, unsigned threads) {
  limits::check_rate_arg(from_rate, "fromRate");
  limits::check_rate_arg(to_rate, "toRate");
  if (channels == 0) throw Error(ErrorCode::InvalidArg, "channel count must be at least 1; got 0");
  limits::check_samples(input, frames * channels, channels, ErrorCode::InvalidArg, "resample input: ");
  validate(quality);
  if (mono && channels > 1) {
    if (from_rate == to_rate) return mix_to_mono(input, frames, channels);
  } else {
    mono = false;
    if (from_rate == to_rate) return std::vector<float>(input, input + frames * channels);
  }
  uint32_t out_channels = mono ? 1 : channels;

  // Sizes first, allocations after: the output and the filter table are bounded before either
  // exists (a corrupt rate used to mean minutes of work and gigabytes here).
  size_t out_frames = resampled_length(frames, from_rate, to_rate);
  limits::check_sample_count(uint64_t(out_frames) * out_channels, "the resampled audio");
  uint64_t up = 0, down = 0;
  bool exact = false;
  FilterBank bank = resample_detail::make_bank(from_rate, to_rate, quality, &up, &down, &exact);
  std::vector<float> out, padded;
  try {
    out.resize(out_frames * out_channels);
    // Each channel (or the channel mix) is copied into a zero-padded contiguous buffer so the dot
    // product is unit-stride; outputs are then split across threads.
    padded.assign(frames + 2 * bank.taps + 8, 0.0f);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(out_frames * out_channels) +
                                            " output samples and a " + std::to_string(bank.coef.size()) +
                                            "-entry filter table for resampling");
  }
  for (uint32_t c = 0; c < out_channels; ++c) {
    float* dst = padded.data() + bank.half - 1;
    if (mono) {
      float inv = 1.0f / float(channels);
      for (size_t f = 0; f < frames; ++f) {
        float s = 0.0f;
        for (uint32_t k = 0; k < channels; ++k) s += input[f * channels + k];
        dst[f] = s * inv;
      }
    } else {
      for (size_t f = 0; f < frames; ++f) dst[f] = input[f * channels + c];
    }
    // Fixed chunks of outputs: each output is computed once, whatever the thread count.
    constexpr size_t kChunk = 16384;
    parallel_chunks((out_frames + kChunk - 1) / kChunk, threads, [&](size_t k) {
      size_t b = k * kChunk, e = std::min(out_frames, b + kChunk);
      resample_range(bank, padded.data(), b, e, up, down, exact, out.data() + c, out_channels);
    });
  }
  return out;
}

std::vector<float> mix_to_mono(const float* input, size_t frames, uint32_t channels) {
  if (channels == 0) throw Error(ErrorCode::InvalidArg, "channel count must be at least 1; got 0");
  limits::check_samples(input, frames * channels, channels, ErrorCode::InvalidArg, "mixToMono input: ");
  std::vector<float> out(frames);
  float inv = 1.0f / float(channels);
  for (size_t f = 0; f < frames; ++f) {
    float s = 0.0f;
    for (uint32_t c = 0; c < channels; ++c) s += input[f * channels + c];
    out[f] = s * inv;
  }
  return out;
}

}  // namespace et
