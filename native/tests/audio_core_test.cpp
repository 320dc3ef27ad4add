// Standalone test of the audio core without Node: build with
//   cmake -S native -B build-native && cmake --build build-native && ctest --test-dir build-native
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"
#include "../common/error.hpp"
#include "check.hpp"


static std::vector<uint8_t> wav16(const std::vector<int16_t>& pcm, uint32_t rate, uint16_t channels) {
  std::vector<uint8_t> b(44 + pcm.size() * 2);
  auto put32 = [&](size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) b[o + i] = uint8_t(v >> (8 * i)); };
  auto put16 = [&](size_t o, uint16_t v) { b[o] = uint8_t(v); b[o + 1] = uint8_t(v >> 8); };
  std::memcpy(&b[0], "RIFF", 4); put32(4, uint32_t(b.size() - 8)); std::memcpy(&b[8], "WAVE", 4);
  std::memcpy(&b[12], "fmt ", 4); put32(16, 16); put16(20, 1); put16(22, channels); put32(24, rate);
  put32(28, rate * channels * 2); put16(32, uint16_t(channels * 2)); put16(34, 16);
  std::memcpy(&b[36], "data", 4); put32(40, uint32_t(pcm.size() * 2));
  std::memcpy(&b[44], pcm.data(), pcm.size() * 2);
  return b;
}

int main() {
  // PCM16 decodes to x / 32768, interleaved.
  auto b = wav16({0, 16384, -32768, 32767}, 8000, 2);
  et::DecodedAudio a = et::decode_wav(b.data(), b.size());
  CHECK(a.sample_rate == 8000 && a.channels == 2 && a.samples.size() == 4);
  CHECK(a.samples[1] == 0.5f && a.samples[2] == -1.0f);

  // Malformed input throws et::Error with the right code, never crashes.
  bool threw = false;
  try { et::decode_wav(b.data(), 20); } catch (const et::Error& e) { threw = e.code() == et::ErrorCode::AudioFormat; }
  CHECK(threw);

  // A 1 kHz sine resampled 48k → 16k keeps its amplitude (within 0.1 dB).
  std::vector<float> x(48000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * float(std::sin(2 * M_PI * 1000.0 * double(i) / 48000.0));
  std::vector<float> y = et::resample(x.data(), x.size(), 1, 48000, 16000);
  CHECK(y.size() == 16000);
  double peak = 0;
  for (size_t i = 1000; i < 15000; ++i) peak = std::fmax(peak, std::fabs(y[i]));
  CHECK(std::fabs(20 * std::log10(peak / 0.5)) < 0.1);

  // A 10 kHz sine (above the 8 kHz output Nyquist) is removed (≥ 80 dB down).
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * float(std::sin(2 * M_PI * 10000.0 * double(i) / 48000.0));
  y = et::resample(x.data(), x.size(), 1, 48000, 16000);
  peak = 0;
  for (size_t i = 1000; i < 15000; ++i) peak = std::fmax(peak, std::fabs(y[i]));
  CHECK(20 * std::log10(peak / 0.5 + 1e-30) < -80);

  return check_report("audio core");
}
