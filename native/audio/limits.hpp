// The audio limits of the whole package, in one place: the sample rates it accepts, how far
// float samples may stray beyond full scale, and how large a sample buffer or resampler table
// may grow. Decoders, the resampler, prosody and the feature extractors check against these
// before they allocate or compute, so a hostile header (a WAV declaring 1 Hz, an Ogg declaring
// 2 GHz) or a wild float sample is a clear error instead of minutes of work, gigabytes of memory
// or +Infinity in an output. The bindings export the same numbers (native.audioLimits) and the
// TypeScript layer reads them from there (AUDIO_LIMITS), so the WASM decode path checks the same
// bounds.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "../common/error.hpp"

namespace et {
namespace limits {

// Declared sample rates. 768 kHz is the highest rate converters and DAWs offer; 1 kHz is far
// below telephone speech (8 kHz) yet keeps every rate a real recorder writes. Outside this range
// a rate is a corrupt header. The floor bounds how much a small file can grow: analysis at
// 16 kHz upsamples at most 16x (a 1 MB 8-bit WAV at 1 kHz is 1000 s of audio: 5.9 s and 167 MB
// for `analyze` on a 2-core machine, benchmarks/audio-limits.mjs).
constexpr uint32_t kMinSampleRate = 1000;
constexpr uint32_t kMaxSampleRate = 768000;

// Float samples may exceed full scale (±1) by up to +24 dBFS: float mixes legitimately go over
// 0 dBFS, but nothing physical goes 16x over it. Beyond that (or NaN/Inf) the file is corrupt.
constexpr float kMaxAbsSample = 16.0f;
constexpr double kMaxAbsSampleDbfs = 24.082399653118495;  // 20 * log10(16)

// Largest sample buffer (all channels) any call produces: 2^31 floats = 8 GiB.
constexpr uint64_t kMaxSamples = uint64_t(1) << 31;

// Resampler: taps per phase and total polyphase table entries (2^22 floats = 16 MiB). Within
// the rate range the longest filter (768 kHz -> 1 kHz) has ~98,600 taps, so both hold with the
// phase count reduced as the resampler does (see resample.cpp).
constexpr uint64_t kMaxFilterTaps = uint64_t(1) << 20;
constexpr uint64_t kMaxFilterTableEntries = uint64_t(1) << 22;

inline bool rate_ok(double rate) { return rate >= kMinSampleRate && rate <= kMaxSampleRate && rate == std::floor(rate); }

inline std::string rate_range() {
  return std::to_string(kMinSampleRate) + ".." + std::to_string(kMaxSampleRate) + " Hz";
}

// A rate declared by a file header: ERR_AUDIO_UNSUPPORTED naming the rate.
inline void check_declared_rate(double rate, const std::string& where) {
  if (!rate_ok(rate)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", rate);
    throw Error(ErrorCode::AudioUnsupported, where + " declares a sample rate of " + buf +
                                                 " Hz; supported rates are " + rate_range());
  }
}

// A rate passed by the caller: ERR_INVALID_ARG naming the field and the rate.
inline void check_rate_arg(double rate, const std::string& field) {
  if (!rate_ok(rate)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", rate);
    throw Error(ErrorCode::InvalidArg, field + " is " + buf + " Hz; expected an integer sample rate in " + rate_range());
  }
}

// A buffer of `count` samples about to be allocated: ERR_OUT_OF_MEMORY naming the size.
inline void check_sample_count(uint64_t count, const std::string& what) {
  if (count > kMaxSamples) {
    throw Error(ErrorCode::OutOfMemory, what + " would hold " + std::to_string(count) + " samples (" +
                                            std::to_string(count * 4 / (uint64_t(1) << 20)) + " MiB); the limit is " +
                                            std::to_string(kMaxSamples) + " samples");
  }
}

// Index of the first sample that is NaN, infinite or beyond ±kMaxAbsSample; n when none.
inline size_t first_out_of_range(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    // NaN fails the comparison, so it is caught here too.
    if (!(std::fabs(x[i]) <= kMaxAbsSample)) return i;
  }
  return n;
}

inline std::string describe_sample(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Infinity" : "-Infinity";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

// Checks interleaved samples against the float bound; `code` is ERR_AUDIO_FORMAT for decoded
// files and ERR_INVALID_ARG for samples the caller passed in. The message names the sample, its
// frame and channel, and its value.
inline void check_samples(const float* x, size_t n, uint32_t channels, ErrorCode code, const std::string& what) {
  size_t i = first_out_of_range(x, n);
  if (i == n) return;
  uint32_t ch = channels ? channels : 1;
  std::string where = ch == 1 ? "" : " (frame " + std::to_string(i / ch) + ", channel " + std::to_string(i % ch) + ")";
  throw Error(code, what + "sample " + std::to_string(i) + where + " is " + describe_sample(x[i]) +
                        "; audio samples must be finite and within +-16 (+24 dBFS)");
}

}  // namespace limits
}  // namespace et
