// libFuzzer target: et::resample and et::mix_to_mono. The first bytes choose the rates (bounded,
// see fuzz_support.hpp), the channel count and mono; the rest are the float samples, bit for
// bit (NaN, infinities and denormals included). Build and run: native/fuzz/run.sh.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"

using et_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  et_fuzz::Reader in{data, size};
  uint32_t from = et_fuzz::rate_from(in.u32());
  uint32_t to = et_fuzz::rate_from(in.u32());
  if (std::max(from, to) / std::min(from, to) > et_fuzz::kMaxRatio) return 0;
  uint8_t flags = in.u8();
  uint32_t channels = 1 + (flags & 7);
  bool mono = (flags & 8) != 0;

  size_t frames = in.size / sizeof(float) / channels;
  std::vector<float> x(frames * channels);
  if (!x.empty()) std::memcpy(x.data(), in.data, x.size() * sizeof(float));
  // Samples within AUDIO_LIMITS (finite, |x| <= 16) must be accepted and give finite output;
  // anything else must be refused with ERR_INVALID_ARG, naming the sample.
  bool in_range = et::limits::first_out_of_range(x.data(), x.size()) == x.size();

  if (in_range) {
    try {
      et_fuzz::check_resample(x.data(), frames, channels, from, to, mono, true);
      std::vector<float> m = et::mix_to_mono(x.data(), frames, channels);
      require(m.size() == frames, "mix_to_mono length != frames");
    } catch (const et::Error&) {
      et_fuzz::fail("resample threw on valid arguments");
    }
  } else {
    try {
      et::resample(x.data(), frames, channels, from, to);
      et_fuzz::fail("resample accepted a sample outside AUDIO_LIMITS");
    } catch (const et::Error& e) {
      require(e.code() == et::ErrorCode::InvalidArg, "an out-of-range sample refused with a code other than ERR_INVALID_ARG");
    }
  }
  // Arguments the API documents as refused must be refused with a coded error.
  try {
    et::resample(x.data(), frames, channels, 0, to);
    et_fuzz::fail("resample accepted a 0 Hz input rate");
  } catch (const et::Error& e) {
    require(e.code() == et::ErrorCode::InvalidArg, "0 Hz rate refused with a code other than ERR_INVALID_ARG");
  }
  return 0;
}
