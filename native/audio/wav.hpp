// WAV (RIFF/RF64 WAVE) decoding to interleaved float32.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace et {

struct DecodedAudio {
  uint32_t sample_rate = 0;
  uint32_t channels = 0;
  // Interleaved: samples[frame * channels + channel], full scale at ±1.0.
  std::vector<float> samples;
  // Codec description, e.g. "pcm_s16", "pcm_f32", "mulaw".
  std::string encoding;
  uint16_t bits_per_sample = 0;
  // True when the data chunk's size was 0, 0xFFFFFFFF or past the end of the file and the
  // decoder read to the end of the file instead (what streaming writers leave behind).
  bool data_size_repaired = false;
  // True when the data chunk declared a real size (not the 0 or 0xFFFFFFFF placeholder of a
  // streaming writer) that runs past the end of the file: the file was cut short.
  bool data_truncated = false;
};

// Decodes a complete WAV file held in memory. Throws et::Error (ERR_AUDIO_FORMAT for malformed
// bytes, ERR_AUDIO_UNSUPPORTED for codecs it does not decode). Never reads out of bounds.
DecodedAudio decode_wav(const uint8_t* bytes, size_t size);

}  // namespace et
