// The GPU decomposition of the F0 tracker (f0_staged.cpp, the same steps the CUDA batch runs)
// against track_f0 on the shared corpora: the CUDA prosody issue's parity bar (≥ 99.5 % of frames
// with the same voicing, |ΔF0| < 1 cent where both are voiced) checked on the CPU, so that what a
// GPU run can still get wrong is only the CUDA mechanics. Also a long signal (all of fda-ue in one
// clip) to exercise many anchored Viterbi segments, and a synthetic clip with no pause at all.
//   f0_staged_test <shared/data dir>      (exit 77 = skipped: data not found)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"
#include "../prosody/f0.hpp"
#include "../prosody/f0_staged.hpp"
#include "check.hpp"
#include "wav_files.hpp"

using namespace et;

namespace {

std::vector<float> load16k(const std::string& path) {
  const DecodedAudio a = et_test::decode_mono(path);
  if (a.sample_rate == 16000) return a.samples;
  return resample(a.samples.data(), a.samples.size(), 1, a.sample_rate, 16000);
}

struct Tally {
  size_t frames = 0, same_voicing = 0, voiced_both = 0, within_cent = 0, same_best = 0;
  double worst_cent = 0;
  void add(const prosody::F0Track& a, const prosody::F0Track& b) {
    CHECK(a.frames() == b.frames());
    for (size_t i = 0; i < std::min(a.frames(), b.frames()); ++i) {
      ++frames;
      const bool va = !std::isnan(a.f0[i]), vb = !std::isnan(b.f0[i]);
      same_voicing += va == vb;
      if (va && vb) {
        ++voiced_both;
        const double c = std::fabs(1200 * std::log2(double(a.f0[i]) / b.f0[i]));
        within_cent += c < 1;
        worst_cent = std::max(worst_cent, c);
      }
      same_best += (std::isnan(a.best_f0[i]) && std::isnan(b.best_f0[i])) ||
                   std::fabs(double(a.best_f0[i]) - b.best_f0[i]) <= 1e-3 * std::fabs(double(a.best_f0[i]));
    }
  }
  void report(const char* name) const {
    std::printf("%s: %zu frames, same voicing %.3f%%, |dF0| < 1 cent on %.3f%% of %zu voiced-in-both (worst %.4f c), "
                "best_f0 equal %.3f%%\n",
                name, frames, 100.0 * same_voicing / frames, 100.0 * within_cent / std::max<size_t>(1, voiced_both),
                voiced_both, worst_cent, 100.0 * same_best / frames);
    CHECK(same_voicing >= 0.995 * frames);
    CHECK(within_cent >= 0.995 * voiced_both);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "../shared/data";
  const auto fda = et_test::wav_paths(data + "/fda-ue"), rav = et_test::wav_paths(data + "/ravdess");
  if (fda.empty() || rav.empty()) {
    std::printf("f0_staged: shared data not found under %s: skipped\n", data.c_str());
    return 77;
  }
  prosody::F0Options o;
  prosody::StagedStats st, total;
  std::vector<float> all;
  for (const auto& [name, files] : {std::pair{"fda-ue", fda}, std::pair{"ravdess", rav}}) {
    Tally t;
    for (const auto& f : files) {
      std::vector<float> x = load16k(f);
      if (std::string(name) == "fda-ue") all.insert(all.end(), x.begin(), x.end());
      t.add(prosody::track_f0(x.data(), x.size(), 16000, o), prosody::track_f0_staged(x.data(), x.size(), o, &st));
      total.anchors += st.anchors;
      total.segments += st.segments;
      total.longest_segment = std::max(total.longest_segment, st.longest_segment);
    }
    t.report(name);
  }
  std::printf("anchors %zu, segments %zu, longest segment %zu frames\n", total.anchors, total.segments,
              total.longest_segment);
  {
    Tally t;  // one long clip: the Viterbi runs over many segments; chunked filters over 100+ chunks
    t.add(prosody::track_f0(all.data(), all.size(), 16000, o), prosody::track_f0_staged(all.data(), all.size(), o, &st));
    t.report("fda-ue as one clip");
    std::printf("  %zu anchors, %zu segments, longest %zu frames\n", st.anchors, st.segments, st.longest_segment);
    CHECK(st.segments > 100);
  }
  {
    // 20 s of a gliding vowel-like tone with no pause: few anchors, long segments.
    std::vector<float> x(16000 * 20);
    double ph = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double t = double(i) / 16000, f = 140 + 40 * std::sin(2 * M_PI * 0.3 * t);
      ph += 2 * M_PI * f / 16000;
      x[i] = float(0.3 * (std::sin(ph) + 0.5 * std::sin(2 * ph) + 0.25 * std::sin(3 * ph)));
    }
    Tally t;
    t.add(prosody::track_f0(x.data(), x.size(), 16000, o), prosody::track_f0_staged(x.data(), x.size(), o, &st));
    t.report("20 s without a pause");
    std::printf("  %zu anchors, %zu segments, longest %zu frames\n", st.anchors, st.segments, st.longest_segment);
  }
  return check_report("f0_staged");
}
