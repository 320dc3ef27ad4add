// Standalone test of the audio core without Node: build with
//   cmake -S native -B build-native && cmake --build build-native && ctest --test-dir build-native
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../audio/limits.hpp"
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

// Code and message of the et::Error that fn throws; code Internal and "" when none.
template <class F>
static std::pair<et::ErrorCode, std::string> error_of(F fn) {
  try {
    fn();
  } catch (const et::Error& e) {
    return {e.code(), e.what()};
  }
  return {et::ErrorCode::Internal, ""};
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

  // A second 'fmt ' chunk (inserted before 'data', saying 44.1 kHz stereo) is an error naming its
  // position, not the last one winning.
  {
    auto w = wav16({0, 1, 2, 3}, 16000, 1);
    std::vector<uint8_t> second(w.begin() + 12, w.begin() + 36);  // 'fmt ' header and body
    auto put32 = [&](size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) second[o + i] = uint8_t(v >> (8 * i)); };
    second[10] = 2;            // channels
    put32(12, 44100);          // sample rate
    put32(16, 44100 * 4);      // byte rate
    second[20] = 4;            // block align
    w.insert(w.begin() + 36, second.begin(), second.end());
    uint32_t riff = uint32_t(w.size() - 8);
    for (int i = 0; i < 4; ++i) w[4 + i] = uint8_t(riff >> (8 * i));
    auto e = error_of([&] { et::decode_wav(w.data(), w.size()); });
    CHECK(e.first == et::ErrorCode::AudioFormat);
    CHECK(e.second.find("a second 'fmt ' chunk at byte 36") != std::string::npos);
  }

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

  // Limits (audio/limits.hpp). Declared rates outside 1000..768000 Hz: ERR_AUDIO_UNSUPPORTED
  // naming the rate; the edges decode.
  for (uint32_t rate : {1u, 7u, 999u, 768001u, 4000001u}) {
    auto w = wav16({0, 1, 2, 3}, rate, 1);
    auto e = error_of([&] { et::decode_wav(w.data(), w.size()); });
    CHECK(e.first == et::ErrorCode::AudioUnsupported);
    CHECK(e.second.find("sample rate of " + std::to_string(rate) + " Hz") != std::string::npos);
  }
  for (uint32_t rate : {1000u, 768000u}) {
    auto w = wav16({0, 1, 2, 3}, rate, 1);
    CHECK(et::decode_wav(w.data(), w.size()).sample_rate == rate);
  }
  // A float WAV with a sample beyond +-16: ERR_AUDIO_FORMAT naming sample, frame, channel, value.
  {
    auto w = wav16({0, 0, 0, 0, 0, 0, 0, 0}, 16000, 2);  // 16-bit stereo, rewritten below as f32 stereo
    std::vector<uint8_t> f(44 + 4 * 4);
    std::memcpy(f.data(), w.data(), 44);
    auto put32 = [&](size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) f[o + i] = uint8_t(v >> (8 * i)); };
    auto put16 = [&](size_t o, uint16_t v) { f[o] = uint8_t(v); f[o + 1] = uint8_t(v >> 8); };
    put32(4, uint32_t(f.size() - 8)); put16(20, 3); put32(28, 16000 * 8); put16(32, 8); put16(34, 32); put32(40, 16);
    const float vals[4] = {0.5f, -16.0f, 0.25f, 3e36f};
    std::memcpy(&f[44], vals, 16);
    auto e = error_of([&] { et::decode_wav(f.data(), f.size()); });
    CHECK(e.first == et::ErrorCode::AudioFormat);
    CHECK(e.second.find("sample 3 (frame 1, channel 1) is 3.00000") != std::string::npos);
    const float ok[4] = {0.5f, -16.0f, 0.25f, 16.0f};  // +24 dBFS exactly is still audio
    std::memcpy(&f[44], ok, 16);
    CHECK(et::decode_wav(f.data(), f.size()).samples[3] == 16.0f);
  }
  // Rates as arguments: ERR_INVALID_ARG; samples beyond the bound: ERR_INVALID_ARG.
  CHECK(error_of([&] { et::resample(x.data(), 100, 1, 999, 16000); }).first == et::ErrorCode::InvalidArg);
  CHECK(error_of([&] { et::resample(x.data(), 100, 1, 16000, 768001); }).first == et::ErrorCode::InvalidArg);
  {
    std::vector<float> loud(100, 0.f);
    loud[42] = std::nanf("");
    auto e = error_of([&] { et::resample(loud.data(), loud.size(), 1, 16000, 8000); });
    CHECK(e.first == et::ErrorCode::InvalidArg && e.second.find("sample 42 is NaN") != std::string::npos);
    CHECK(error_of([&] { et::mix_to_mono(loud.data(), 50, 2); }).first == et::ErrorCode::InvalidArg);
  }
  // The longest filter in range (767,999 Hz -> 1 kHz, ~98,600 taps, 1000 exact phases = a 395 MB
  // table before) runs on a table within kMaxFilterTableEntries and stays accurate.
  {
    const uint32_t from = 767999;
    std::vector<float> s(from);
    for (size_t i = 0; i < s.size(); ++i) s[i] = 0.5f * float(std::sin(2 * M_PI * 100.0 * double(i) / from));
    std::vector<float> r = et::resample(s.data(), s.size(), 1, from, 1000);
    CHECK(r.size() == 1000);
    double err = 0;
    for (size_t i = 100; i < 900; ++i) err = std::fmax(err, std::fabs(r[i] - 0.5 * std::sin(2 * M_PI * 100.0 * double(i) / 1000.0)));
    CHECK(err < 1e-3);
  }

  return check_report("audio core");
}
