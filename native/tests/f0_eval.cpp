// Development driver: scores track_f0 on fda-ue with the benchmark's alignment rule (best single
// offset on a 1 ms grid, nearest frame). Not part of the addon.
//   g++ -O3 -std=c++17 -fopenmp-simd native/tests/f0_eval.cpp native/prosody/f0.cpp native/audio/resample.cpp native/audio/wav.cpp native/common/error.cpp -o /tmp/f0_eval
//   /tmp/f0_eval ../shared/data/fda-ue [key=value ...] [list]   (list: every gross frame with its context)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"
#include "../prosody/f0.hpp"

using namespace et;

struct Item {
  std::string name;
  std::vector<double> ref;
  std::vector<float> f0;
  double hop;
};

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "../shared/data/fda-ue";
  prosody::F0Options o;
  bool dump = false, list = false;
  for (int a = 2; a < argc; ++a) {
    std::string kv = argv[a];
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq);
    double v = eq == std::string::npos ? 1 : atof(kv.c_str() + eq + 1);
    if (k == "win") o.window_seconds = v;
    else if (k == "floor") o.candidate_floor = v;
    else if (k == "oct") o.octave_cost = v;
    else if (k == "sub") o.subharmonic_cost = v;
    else if (k == "lp") o.lowpass_hz = v;
    else if (k == "vw") o.voicing_window_seconds = v;
    else if (k == "vwt") o.voicing_weight = v;
    else if (k == "lw") o.level_window_seconds = v;
    else if (k == "jump") o.octave_jump_cost = v;
    else if (k == "vuv") o.voiced_unvoiced_cost = v;
    else if (k == "vthr") o.voicing_threshold = v;
    else if (k == "sil") o.silence_threshold = v;
    else if (k == "fmin") o.f0_min = v;
    else if (k == "fmax") o.f0_max = v;
    else if (k == "ncand") o.max_candidates = int(v);
    else if (k == "prior") o.range_prior_cost = v;
    else if (k == "lq") o.level_quantile = v;
    else if (k == "vdb") o.vuv_level_db = v;
    else if (k == "vmin") o.vuv_min_factor = v;
    else if (k == "vmax") o.vuv_max_factor = v;
    else if (k == "pwb") o.range_prior_width_below = v;
    else if (k == "pw") o.range_prior_width = v;
    else if (k == "offb") o.offset_voicing_bonus = v;
    else if (k == "onb") o.onset_voicing_bonus = v;
    else if (k == "trend") o.voicing_trend_seconds = v;
    else if (k == "dump") dump = true;
    else if (k == "list") list = true;
    else { fprintf(stderr, "unknown %s\n", k.c_str()); return 2; }
  }
  std::vector<Item> items;
  double secs = 0, audio = 0;
  for (const char* sp : {"rl", "sb"}) {
    for (int i = 1; i <= 50; ++i) {
      char nm[16];
      snprintf(nm, sizeof nm, "%s%03d", sp, i);
      std::ifstream w(dir + "/" + nm + ".wav", std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(w)), {});
      DecodedAudio d = decode_wav((const uint8_t*)bytes.data(), bytes.size());
      std::vector<float> x16 = resample(d.samples.data(), d.samples.size(), 1, d.sample_rate, 16000);
      auto t0 = std::chrono::steady_clock::now();
      prosody::F0Track t = prosody::track_f0(x16.data(), x16.size(), 16000, o);
      secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      audio += x16.size() / 16000.0;
      Item it{nm, {}, t.f0, t.hop_seconds};
      std::ifstream rf(dir + "/" + nm + ".f0ref");
      double v;
      while (rf >> v) it.ref.push_back(v);
      if (dump) {
        std::ofstream df(std::string("/tmp/f0dump/") + nm + ".txt");
        for (size_t k = 0; k < t.f0.size(); ++k) df << k * t.hop_seconds << "\t" << (std::isnan(t.f0[k]) ? 0 : t.f0[k]) << "\t" << t.voicing[k] << "\t" << t.best_f0[k] << "\n";
      }
      items.push_back(std::move(it));
    }
  }
  auto score = [&](double d, const char* only, double& gpe, double& vde, double& fpe) {
    long frames = 0, vd = 0, both = 0, gross = 0, fine = 0;
    double s1 = 0, s2 = 0;
    for (auto& it : items) {
      if (only && it.name.compare(0, 2, only) != 0) continue;
      for (size_t j = 0; j < it.ref.size(); ++j) {
        double t = j * 0.015 + d;
        long k = lround(t / it.hop);
        double est = (k >= 0 && k < (long)it.f0.size()) ? it.f0[k] : 0;
        if (std::isnan(est)) est = 0;
        double r = it.ref[j];
        frames++;
        bool vr = r > 0, ve = est > 0;
        if (vr != ve) vd++;
        if (vr && ve) {
          both++;
          if (fabs(est - r) > 0.2 * r) gross++;
          else { double e = 1200 * log2(est / r); s1 += e; s2 += e * e; fine++; }
        }
      }
    }
    gpe = double(gross) / both; vde = double(vd) / frames;
    double m = s1 / fine; fpe = sqrt(s2 / fine - m * m);
  };
  double bestd = 0, bg = 1, bv = 1, bf = 0;
  for (int ms = -30; ms <= 30; ++ms) {
    double g, v, f;
    score(ms / 1000.0, nullptr, g, v, f);
    if (g + v < bg + bv) { bg = g; bv = v; bf = f; bestd = ms / 1000.0; }
  }
  if (list) {
    // Gross frames and voicing mismatches at the chosen offset, with the reference context.
    long fu = 0, fv = 0, fu_edge = 0, fv_edge = 0;
    for (auto& it : items) {
      for (size_t j = 0; j < it.ref.size(); ++j) {
        long k = lround((j * 0.015 + bestd) / it.hop);
        double est = (k >= 0 && k < (long)it.f0.size()) ? it.f0[k] : 0;
        if (std::isnan(est)) est = 0;
        double r = it.ref[j];
        bool edge = (j == 0 || (it.ref[j - 1] > 0) != (r > 0)) || (j + 1 == it.ref.size() || (it.ref[j + 1] > 0) != (r > 0));
        if (r > 0 && est > 0 && fabs(est - r) > 0.2 * r) {
          printf("GROSS %s j=%zu est=%.0f ref:", it.name.c_str(), j, est);
          for (long q = long(j) - 3; q <= long(j) + 3; ++q) printf(q == long(j) ? " [%.0f]" : " %.0f", q >= 0 && q < (long)it.ref.size() ? it.ref[q] : -1.0);
          printf(" est:");
          for (long q = k - 4; q <= k + 4; ++q) printf(q == k ? " [%.0f]" : " %.0f", q >= 0 && q < (long)it.f0.size() && !std::isnan(it.f0[q]) ? it.f0[q] : 0.0);
          printf("\n");
        }
        if (r > 0 && est <= 0) { fu++; fu_edge += edge; }
        if (r <= 0 && est > 0) { fv++; fv_edge += edge; }
      }
    }
    printf("missed voiced %ld (at ref edge %ld), false voiced %ld (at ref edge %ld)\n", fu, fu_edge, fv, fv_edge);
  }
  double g1, v1, f1, g2, v2, f2;
  score(bestd, "rl", g1, v1, f1);
  score(bestd, "sb", g2, v2, f2);
  printf("GPE %.2f%% VDE %.2f%% FPE %.1f off %+.0fms | rl %.2f/%.2f sb %.2f/%.2f | %.0fx RT\n", 100 * bg, 100 * bv, bf,
         bestd * 1000, 100 * g1, 100 * v1, 100 * g2, 100 * v2, audio / secs);
}
