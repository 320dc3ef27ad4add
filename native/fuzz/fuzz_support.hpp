// Shared by the libFuzzer targets: the bounds a fuzz input may ask of the core, and the checks
// that turn a wrong-but-quiet result into a crash libFuzzer records.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"
#include "../common/error.hpp"
// The audio-input limits (rates, the float sample bound): inputs inside them must be accepted,
// inputs outside refused with a coded error.
#include "../audio/limits.hpp"

namespace et_fuzz {

// The resampler's cost grows with (output phases) x (filter taps), and the taps with the
// down-sampling ratio: a fuzz input may ask for any rate pair in this range whose ratio is at
// most kMaxRatio, so that one input stays well under libFuzzer's per-input timeout.
constexpr uint32_t kMinRate = 1000;
constexpr uint32_t kMaxRate = 192000;
constexpr uint32_t kMaxRatio = 8;
// Decoded output resampled by the WAV target (the loadAudio path: file rate -> 16 kHz mono) is
// capped at this many frames; longer inputs are still decoded, just not resampled.
constexpr size_t kMaxResampleFrames = 1 << 16;

// Aborts with a message: libFuzzer stores the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

inline void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

// Reads little-endian integers from the front of the input, then hands out the rest.
struct Reader {
  const uint8_t* data;
  size_t size;
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4 && size > 0; ++i, ++data, --size) v |= uint32_t(*data) << (8 * i);
    return v;
  }
  uint8_t u8() {
    if (size == 0) return 0;
    --size;
    return *data++;
  }
};

inline uint32_t rate_from(uint32_t raw) { return kMinRate + raw % (kMaxRate - kMinRate + 1); }

// Resamples and checks what every caller relies on: the documented length and finite output
// for finite input.
inline void check_resample(const float* x, size_t frames, uint32_t channels, uint32_t from, uint32_t to, bool mono,
                           bool input_finite) {
  std::vector<float> y = et::resample(x, frames, channels, from, to, et::ResampleQuality(), mono, 1);
  size_t out_channels = mono ? 1 : channels;
  require(y.size() == et::resampled_length(frames, from, to) * out_channels, "resample length != resampled_length");
  if (input_finite) {
    for (float v : y) require(std::isfinite(v), "resample of finite input produced a non-finite sample");
  }
}

}  // namespace et_fuzz
