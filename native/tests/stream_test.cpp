// The streaming tracker (prosody/stream.hpp) and the streaming resampler against the whole-signal
// calls they are built from:
//  - StreamResampler equals resample() sample for sample, whatever the chunk sizes;
//  - ProsodyStream fed fda-ue files at their own rate (20 kHz) in 20 ms chunks agrees with
//    analyze_f0 (resample to 16 kHz + track_f0): ≥ 99.5 % of frames with the same voicing,
//    |ΔF0| < 1 cent on ≥ 99 % of the frames voiced in both; the output does not depend on the
//    chunking (random chunk sizes give identical frames);
//  - frames come out within lag_bound_seconds() of the audio pushed, never revised (count checked);
//  - an hour of input keeps the internal buffers bounded; bad samples and push after finish throw
//    ERR_INVALID_ARG and leave the stream usable.
//   stream_test <shared/data dir>      (exit 77 = skipped: data not found)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/resample_stream.hpp"
#include "../audio/wav.hpp"
#include "../common/error.hpp"
#include "../prosody/prosody.hpp"
#include "../prosody/stream.hpp"
#include "check.hpp"
#include "wav_files.hpp"

using namespace et;

namespace {

// Streams x in chunks (sizes from `next`); returns every frame, checking the lag bound on the way.
template <class Next>
std::vector<prosody::StreamFrame> stream(const std::vector<float>& x, double rate, Next next, size_t* lag_violations,
                                         const prosody::StreamOptions& so = prosody::StreamOptions(), uint64_t* forced = nullptr) {
  prosody::ProsodyStream s(rate, prosody::ProsodyOptions(), so);
  std::vector<prosody::StreamFrame> frames;
  std::vector<float> s16;
  const double hop = s.hop_seconds(), bound = s.lag_bound_seconds();
  for (size_t b = 0; b < x.size();) {
    const size_t n = std::min(x.size() - b, next());
    s.push(x.data() + b, n);
    b += n;
    s.take(frames, s16);
    // Every frame centred at least `bound` before the end of what was pushed is out.
    const double pushed = double(b) / rate;
    const double due = std::floor((pushed - bound) / hop);
    if (due >= 0 && double(frames.size()) < due + 1 && lag_violations) ++*lag_violations;
  }
  s.finish();
  s.take(frames, s16);
  if (forced) *forced += s.forced_decisions();
  return frames;
}

struct Tally {
  size_t frames = 0, same_voicing = 0, voiced_both = 0, within_cent = 0;
  void add(const prosody::F0Track& a, const std::vector<prosody::StreamFrame>& b) {
    CHECK(a.frames() == b.size());
    for (size_t i = 0; i < std::min(a.frames(), b.size()); ++i) {
      CHECK(b[i].index == i);
      ++frames;
      const bool va = !std::isnan(a.f0[i]), vb = !std::isnan(b[i].f0);
      same_voicing += va == vb;
      if (va && vb) {
        ++voiced_both;
        within_cent += std::fabs(1200 * std::log2(double(a.f0[i]) / b[i].f0)) < 1;
      }
    }
  }
};

bool same_frames(const std::vector<prosody::StreamFrame>& a, const std::vector<prosody::StreamFrame>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto eq = [](float x, float y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
    if (a[i].index != b[i].index || !eq(a[i].f0, b[i].f0) || !eq(a[i].voicing, b[i].voicing) ||
        !eq(a[i].rms_dbfs, b[i].rms_dbfs) || !eq(a[i].intensity_db, b[i].intensity_db) || !eq(a[i].best_f0, b[i].best_f0))
      return false;
  }
  return true;
}

void resampler_matches() {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 0.1f);
  for (uint32_t from : {20000u, 48000u, 44100u, 8000u, 16000u}) {
    std::vector<float> x(from * 3 / 2);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(0.01f * float(i)) + noise(rng);
    const std::vector<float> ref = resample(x.data(), x.size(), 1, from, 16000);
    StreamResampler r(from, 16000);
    std::vector<float> out;
    std::uniform_int_distribution<size_t> size(1, 3000);
    for (size_t b = 0; b < x.size();) {
      const size_t n = std::min(x.size() - b, size(rng));
      r.push(x.data() + b, n, out);
      b += n;
    }
    r.finish(out);
    CHECK(out.size() == ref.size());
    size_t diff = 0;
    for (size_t i = 0; i < std::min(out.size(), ref.size()); ++i) diff += out[i] != ref[i];
    if (diff) std::fprintf(stderr, "resampler %u Hz: %zu of %zu samples differ\n", from, diff, ref.size());
    CHECK(diff == 0);
  }
}

void bounded_and_bad_input() {
  prosody::ProsodyStream s(48000);
  std::vector<prosody::StreamFrame> frames;
  std::vector<float> s16;
  // An hour: alternating 3 s of a gliding harmonic tone and 2 s of noise, pushed in 1 s chunks.
  std::vector<float> chunk(48000);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 0.01f);
  size_t most = 0;
  double phase = 0;
  for (int sec = 0; sec < 3600; ++sec) {
    for (size_t i = 0; i < chunk.size(); ++i) {
      const double t = sec + double(i) / 48000;
      const bool voiced = std::fmod(t, 5.0) < 3.0;
      phase += 2 * M_PI * (120 + 30 * std::sin(t)) / 48000;
      chunk[i] = voiced ? float(0.2 * std::sin(phase) + 0.1 * std::sin(2 * phase)) : noise(rng);
    }
    s.push(chunk.data(), chunk.size());
    s.take(frames, s16);
    most = std::max(most, s.buffered());
    if (sec % 60 == 59) {  // keep only a few frames: the test holds what the stream hands out
      frames.erase(frames.begin(), frames.end() - std::min<long>(long(frames.size()), 10));
      s16.clear();
    }
  }
  s.finish();
  s.take(frames, s16);
  CHECK(s.frames_emitted() == prosody::frame_count(size_t(3600) * 16000, 16000, 0.01, 0.015));
  std::printf("1 h at 48 kHz: %llu frames, at most %zu elements buffered\n", (unsigned long long)s.frames_emitted(), most);
  CHECK(most < 200000);  // a few chunks of signal, never the hour

  prosody::ProsodyStream b(16000);
  std::vector<float> bad(320, 0.1f);
  bad[17] = NAN;
  bool threw = false;
  try {
    b.push(bad.data(), bad.size());
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::InvalidArg && std::string(e.what()).find("sample 17") != std::string::npos;
  }
  CHECK(threw);
  bad[17] = 0.f;
  b.push(bad.data(), bad.size());  // still usable
  b.finish();
  threw = false;
  try {
    b.push(bad.data(), bad.size());
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::InvalidArg;
  }
  CHECK(threw);
  std::vector<prosody::StreamFrame> fb;
  b.take(fb, s16);
  CHECK(fb.size() == prosody::frame_count(320, 16000, 0.01, 0.015));
}

}  // namespace

int main(int argc, char** argv) {
  resampler_matches();
  bounded_and_bad_input();
  const std::string data = argc > 1 ? argv[1] : "../shared/data";
  const std::vector<std::string> files = et_test::wav_paths(data + "/fda-ue");
  if (files.empty()) {
    std::fprintf(stderr, "stream_test: no data under %s (skipped the corpus checks)\n", data.c_str());
    int rc = check_report("stream");
    return rc ? rc : 77;
  }
  Tally t, tf;
  size_t lag_violations = 0, chunk_dependent = 0;
  uint64_t forced = 0;
  prosody::StreamOptions short_lag;
  short_lag.max_lag_seconds = 0.05;  // forces decisions inside voiced stretches: the pinned restart runs
  std::mt19937 rng(11);
  for (const std::string& f : files) {
    const DecodedAudio a = et_test::decode_mono(f);
    const double rate = a.sample_rate;
    const prosody::F0Track off = prosody::analyze_f0(a.samples.data(), a.samples.size(), rate);
    const size_t c20 = size_t(rate / 50);
    const auto frames = stream(a.samples, rate, [&] { return c20; }, &lag_violations);
    t.add(off, frames);
    std::uniform_int_distribution<size_t> size(1, 5000);
    const auto random = stream(a.samples, rate, [&] { return size(rng); }, nullptr);
    chunk_dependent += !same_frames(frames, random);
    // The forced path: still every frame once, in order, within the (shorter) lag bound.
    const auto short_frames = stream(a.samples, rate, [&] { return c20; }, &lag_violations, short_lag, &forced);
    tf.add(off, short_frames);
  }
  const double v = double(t.same_voicing) / double(t.frames), c = double(t.within_cent) / double(t.voiced_both);
  std::printf("fda-ue streamed in 20 ms chunks vs analyze_f0: %zu frames, same voicing %.3f %%, within 1 cent %.3f %% of %zu voiced in both\n",
              t.frames, 100 * v, 100 * c, t.voiced_both);
  CHECK(v >= 0.995);
  CHECK(c >= 0.99);
  const double vf = double(tf.same_voicing) / double(tf.frames);
  std::printf("with maxLagSeconds 0.05: %llu forced decisions, same voicing %.3f %%, within 1 cent %.3f %%\n",
              (unsigned long long)forced, 100 * vf, 100 * double(tf.within_cent) / double(tf.voiced_both));
  CHECK(forced > 100);
  CHECK(vf >= 0.99);
  CHECK(lag_violations == 0);
  CHECK(chunk_dependent == 0);
  return check_report("stream");
}
