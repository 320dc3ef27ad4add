// Whole-utterance prosody without Node: the option tables (defaults = the struct's, validation
// naming the option, once), analyze() = finish_analysis(compute_tracks()), and the CUDA batch
// pipeline (native/prosody/batch.cpp) run with a CPU tracks function against analyze() per clip,
// with per-clip errors in place. Real clips from the shared corpora when present.
//   prosody_test <shared/data dir>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"
#include "../common/error.hpp"
#include "../features/voice.hpp"
#include "../prosody/batch.hpp"
#include "../prosody/prosody.hpp"
#include "check.hpp"
#include "wav_files.hpp"

using namespace et;
using namespace et::prosody;
using et::ResampleQuality;
using et::kResampleOptionSpecs;
using et::kResampleOptionCount;

namespace {

std::vector<float> mono_of(const std::string& path, uint32_t* rate) {
  const std::vector<uint8_t> bytes = et_test::file_bytes(path);
  if (bytes.empty()) return {};
  DecodedAudio a = decode_wav(bytes.data(), bytes.size());
  *rate = a.sample_rate;
  std::vector<float> m(a.samples.size() / a.channels);
  for (size_t i = 0; i < m.size(); ++i) {
    double s = 0;
    for (uint32_t c = 0; c < a.channels; ++c) s += a.samples[i * a.channels + c];
    m[i] = float(s / a.channels);
  }
  return m;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_result(const ProsodyResult& a, const ProsodyResult& b) {
  const Functionals &fa = a.fn, &fb = b.fn;
  return same_bits(a.f0.f0, b.f0.f0) && same_bits(a.f0.voicing, b.f0.voicing) && same_bits(a.rms_dbfs, b.rms_dbfs) &&
         same_bits(a.intensity_db, b.intensity_db) && a.nuclei.size() == b.nuclei.size() &&
         a.pauses.size() == b.pauses.size() && same_bits(a.duration, b.duration) &&
         same_bits(a.clipped_ratio, b.clipped_ratio) && std::memcmp(&fa, &fb, sizeof fa) == 0 &&
         a.intonation.label == b.intonation.label;
}

std::string error_of(void (*f)(const ProsodyOptions&), const ProsodyOptions& o) {
  try {
    f(o);
  } catch (const Error& e) {
    return std::string(e.code_name()) + ": " + e.what();
  }
  return "";
}

void validate_prosody(const ProsodyOptions& o) { validate(o); }
void resolve_cuda(const ProsodyOptions& o) { cuda_batch_options(o); }

void option_tables() {
  // Every table default is the struct's default (the struct is declared from the same list).
  const ProsodyOptions d;
  for (size_t i = 0; i < kF0OptionCount; ++i) CHECK(kF0OptionSpecs[i].get(d.f0) == kF0OptionSpecs[i].def);
  for (size_t i = 0; i < kEnergyOptionCount; ++i) CHECK(kEnergyOptionSpecs[i].get(d) == kEnergyOptionSpecs[i].def);
  CHECK(error_of(validate_prosody, d).empty());
  CHECK(error_of(resolve_cuda, d).empty());
  // Each option just outside its range is refused, naming the option; the CPU and the CUDA host
  // entries agree on every case.
  for (size_t i = 0; i < kF0OptionCount; ++i) {
    const auto& s = kF0OptionSpecs[i];
    ProsodyOptions o;
    s.set(o.f0, s.max + 1);
    const std::string e = error_of(validate_prosody, o);
    CHECK(e.find(std::string("\"") + s.key + "\"") != std::string::npos || e.find("f0Min") != std::string::npos);
    CHECK(e == error_of(resolve_cuda, o));
  }
  for (size_t i = 0; i < kEnergyOptionCount; ++i) {
    const auto& s = kEnergyOptionSpecs[i];
    if (s.kind == options::Kind::Bool) continue;
    ProsodyOptions o;
    s.set(o, s.min - 1);
    const std::string e = error_of(validate_prosody, o);
    CHECK(e.find(std::string("\"") + s.key + "\"") != std::string::npos);
  }
  ProsodyOptions lq;
  lq.f0.level_quantile = 0;
  CHECK(error_of(validate_prosody, lq) == "ERR_INVALID_ARG: option \"levelQuantile\" must be in (0, 1]; got 0");
  ProsodyOptions rate;
  rate.analysis_rate = 22050;
  CHECK(error_of(validate_prosody, rate).empty());
  CHECK(error_of(resolve_cuda, rate).find("16000") != std::string::npos);
  // Voice: minStretchFrames 0 is refused (the binding used to replace it silently).
  features::VoiceOptions v;
  v.min_stretch_frames = 0;
  bool threw = false;
  try {
    features::validate(v);
  } catch (const Error& e) {
    threw = std::strstr(e.what(), "minStretchFrames") != nullptr;
  }
  CHECK(threw);
  // Resample: the table's defaults are the struct's; passband ≥ stopband is refused by name.
  const ResampleQuality rq;
  for (size_t i = 0; i < kResampleOptionCount; ++i) CHECK(kResampleOptionSpecs[i].get(rq) == kResampleOptionSpecs[i].def);
  ResampleQuality bad_q;
  bad_q.passband = 0.99, bad_q.stopband = 0.95;
  threw = false;
  try {
    validate(bad_q);
  } catch (const Error& e) {
    threw = std::strstr(e.what(), "\"passband\" must be below stopband") != nullptr;
  }
  CHECK(threw);
}

void synthetic() {
  // 1 s of a 150 Hz vowel-like tone with a pause in the middle.
  const double rate = 16000;
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / rate;
    const bool on = t < 0.35 || t > 0.65;
    x[i] = on ? float(0.3 * std::sin(2 * M_PI * 150 * t) + 0.1 * std::sin(2 * M_PI * 300 * t)) : 0.f;
  }
  const ProsodyOptions o;
  ProsodyResult a = analyze(x.data(), x.size(), rate, o);
  ProsodyResult b = finish_analysis(compute_tracks(x.data(), x.size(), rate, o), o);
  CHECK(same_result(a, b));
  CHECK(a.fn.f0_median_hz > 145 && a.fn.f0_median_hz < 155);
  CHECK(a.pauses.size() == 1);
  // VAD segments replace the energy segmentation: [0.05, 0.3] and [0.7, 0.95] give one pause
  // (0.3..0.7), silences at both ends only when ≥ minPause, nuclei inside speech only.
  const std::vector<Segment> speech = {{0.05, 0.3}, {0.7, 0.95}};
  ProsodyResult v = analyze(x.data(), x.size(), rate, o, &speech);
  CHECK(v.pauses.size() == 1 && v.pauses[0].start == 0.3 && v.pauses[0].end == 0.7);
  CHECK(v.silences.size() == 1);  // 0..0.05 and 0.95..1 are shorter than 0.25 s
  CHECK(v.fn.pause_total_s == 0.7 - 0.3 && v.fn.phonation_time_s == (0.3 - 0.05) + (0.95 - 0.7));
  for (const Nucleus& nu : v.nuclei) CHECK((nu.time >= 0.05 && nu.time <= 0.3) || (nu.time >= 0.7 && nu.time <= 0.95));
  CHECK(v.fn.syllable_count == double(v.nuclei.size()));
  CHECK(same_bits(v.f0.f0, a.f0.f0));  // the tracks do not depend on the segmentation
  // The empty result: shorter than one RMS window.
  ProsodyResult e = analyze(x.data(), 100, rate, o);
  CHECK(e.f0.frames() == 0 && std::isnan(e.fn.f0_mean_st));
}

void batch(const std::string& data) {
  std::vector<std::string> files = et_test::wav_paths(data + "/ravdess", 6);
  for (const std::string& f : et_test::wav_paths(data + "/ravdess-48k", 2)) files.push_back(f);
  if (files.empty()) {
    std::printf("prosody_test: no shared data under %s; batch on synthetic clips only\n", data.c_str());
  }
  std::vector<std::vector<float>> audio;
  std::vector<uint32_t> rates;
  for (const std::string& f : files) {
    uint32_t r = 0;
    audio.push_back(mono_of(f, &r));
    rates.push_back(r);
  }
  // Clip k: a 220 Hz tone at 16 kHz; then two bad clips (rate too low for f0Max, a NaN sample).
  std::vector<float> tone(8000), bad(4000, 0.f);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = float(0.5 * std::sin(2 * M_PI * 220 * i / 16000.0));
  bad[17] = std::nanf("");
  audio.push_back(tone), rates.push_back(16000);
  audio.push_back(tone), rates.push_back(1000);
  audio.push_back(bad), rates.push_back(16000);
  std::vector<BatchClip> clips;
  for (size_t i = 0; i < audio.size(); ++i) clips.push_back({audio[i].data(), audio[i].size(), double(rates[i])});
  const ProsodyOptions o = cuda_batch_options(ProsodyOptions());
  std::vector<BatchItem> items = analyze_batch(clips, o, cpu_tracks_batch);
  CHECK(items.size() == clips.size());
  for (size_t i = 0; i + 2 < items.size(); ++i) {
    CHECK(items[i].ok());
    CHECK(same_result(items[i].result, analyze(clips[i].samples, clips[i].n, clips[i].rate, o)));
  }
  const size_t n = items.size();
  CHECK(items[n - 2].error_code == "ERR_INVALID_ARG" && items[n - 2].error_message.find("1000") != std::string::npos);
  CHECK(items[n - 1].error_code == "ERR_INVALID_ARG" && items[n - 1].error_message.find("sample 17") != std::string::npos);
  std::printf("prosody_test: batch of %zu clips (%zu from the corpora) matches analyze()\n", n, files.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "../shared/data";
  option_tables();
  synthetic();
  batch(data);
  return check_report("prosody_test");
}
