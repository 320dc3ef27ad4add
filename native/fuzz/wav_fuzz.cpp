// libFuzzer target: et::decode_wav on arbitrary bytes, then the loadAudio path's resampling of
// what it decoded (to 16 kHz mono). Every outcome must be a result or an et::Error; the result
// must be self-consistent. Build and run: native/fuzz/run.sh (see docs/fuzzing.md).
#include <cmath>
#include <vector>

#include "fuzz_support.hpp"

using et_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  et::DecodedAudio audio;
  try {
    audio = et::decode_wav(data, size);
  } catch (const et::Error&) {
    return 0;  // a coded refusal is a correct answer to malformed bytes
  }
  require(audio.channels > 0, "decoded audio has 0 channels");
  require(audio.sample_rate > 0, "decoded audio has a 0 Hz rate");
  require(audio.samples.size() % audio.channels == 0, "sample count is not a multiple of the channel count");
  // Never more samples than the bytes could hold (the smallest sample is 8 bits).
  require(audio.samples.size() <= size, "more samples decoded than bytes in the file");
  // The decoder enforces AUDIO_LIMITS: a decoded file has a supported rate and only samples that
  // are finite and within +-16.
  require(et::limits::rate_ok(audio.sample_rate), "decoded a sample rate outside AUDIO_LIMITS");
  require(et::limits::first_out_of_range(audio.samples.data(), audio.samples.size()) == audio.samples.size(),
          "decoded a sample outside AUDIO_LIMITS");
  const bool finite = true;
  bool integer = audio.encoding.rfind("pcm_f", 0) != 0;
  for (float v : audio.samples) {
    // Integer PCM, A-law and mu-law decode to full scale at +-1.
    if (integer) require(std::fabs(v) <= 1.0f, "integer/G.711 sample outside [-1, 1]");
  }

  size_t frames = audio.samples.size() / audio.channels;
  if (audio.sample_rate >= et_fuzz::kMinRate && audio.sample_rate <= et_fuzz::kMaxRate &&
      frames <= et_fuzz::kMaxResampleFrames && audio.sample_rate / 16000 <= et_fuzz::kMaxRatio) {
    try {
      et_fuzz::check_resample(audio.samples.data(), frames, audio.channels, audio.sample_rate, 16000, true, finite);
    } catch (const et::Error&) {
      et_fuzz::fail("resampling a decoded file threw");
    }
  }
  return 0;
}
