// Band-limited sample-rate conversion: a Kaiser-windowed sinc evaluated as a polyphase filter.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/options.hpp"

namespace et {

// The resample option set: its one definition (see common/options.hpp). Passband and stopband
// edges are fractions of the lower of the two Nyquist frequencies; the stopband starts at that
// Nyquist so nothing above it can alias into the output. Cross-field rule: passband < stopband.
#define ET_RESAMPLE_OPTIONS(X)                                                                           \
  X(passband, "passband", double, 0.90, 0, 1, ET_OPEN, "", "passband edge (fraction of the lower Nyquist)")    \
  X(stopband, "stopband", double, 1.00, 0, 1, ET_OPEN_MIN, "", "stopband edge (fraction of the lower Nyquist)") \
  X(attenuation_db, "attenuationDb", double, 100.0, 20, 200, ET_CLOSED, "dB",                                   \
    "design attenuation of the Kaiser window (measured stopband at least ~90 dB for 100)")

struct ResampleQuality {
  ET_RESAMPLE_OPTIONS(ET_OPTION_FIELD)
};

// The table of ET_RESAMPLE_OPTIONS (resample.cpp) and the validation against it (ERR_INVALID_ARG
// naming the option; resample() runs it once per call).
extern const options::Spec<ResampleQuality> kResampleOptionSpecs[];
extern const size_t kResampleOptionCount;
void validate(const ResampleQuality& q);

// Number of output frames for `frames` input frames: ceil(frames * to / from). Output frame n
// sits at input time n * from / to, so both signals start at t = 0 with no delay.
size_t resampled_length(size_t frames, uint32_t from_rate, uint32_t to_rate);

// Resamples interleaved audio with `channels` channels. Throws ERR_INVALID_ARG on zero rates or
// channels. Samples beyond either end of the input are treated as silence. With `mono`, the
// channels are averaged first (in the same pass) and the output has one channel. Output frames
// are split over `threads` threads; the result does not depend on the thread count.
std::vector<float> resample(const float* input, size_t frames, uint32_t channels, uint32_t from_rate,
                            uint32_t to_rate, const ResampleQuality& quality = ResampleQuality(), bool mono = false,
                            unsigned threads = 1);

// Averages interleaved channels to mono (a float32 sum per frame: at most 65535 terms of
// bounded magnitude, so float64 would change nothing audible).
std::vector<float> mix_to_mono(const float* input, size_t frames, uint32_t channels);

}  // namespace et
