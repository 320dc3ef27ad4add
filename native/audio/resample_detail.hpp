// The resampler's polyphase filter, shared by resample() (resample.cpp) and the streaming
// resampler (resample_stream.hpp), so a stream gives the same samples as the whole-signal call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "resample.hpp"

namespace et {
namespace resample_detail {

// Polyphase bank: row p holds the taps for an output that falls p/phases of an input sample
// after input index i; tap k multiplies input sample i - half + 1 + k.
struct FilterBank {
  size_t phases = 0;
  size_t taps = 0;   // 2 * half, padded to a multiple of kBlock for the SIMD dot product
  size_t half = 0;
  std::vector<float> coef;  // (phases + 1) rows: the extra row lets phases be interpolated
};

// The bank resample() uses for from_rate → to_rate (same size limits and errors); *up / *down:
// the reduced rate ratio (output n sits at input time n·down/up); *exact: one row per phase.
FilterBank make_bank(uint32_t from_rate, uint32_t to_rate, const ResampleQuality& quality, uint64_t* up,
                     uint64_t* down, bool* exact);

// One output sample: x points at padded input index i = n·down/up (the padded input has half − 1
// zeros before input sample 0) and holds at least `taps` samples from there; rem = n·down mod up.
float bank_output(const FilterBank& bank, const float* x, uint64_t rem, uint64_t up, bool exact);

}  // namespace resample_detail
}  // namespace et
