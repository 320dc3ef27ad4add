// Development driver: syllable-nucleus counts on ravdess (7 syllables per sentence), mean absolute
// error per emotion. Not part of the addon.
//   g++ -O3 -std=c++17 -fopenmp-simd native/tests/nuclei_eval.cpp native/prosody/*.cpp native/audio/resample.cpp native/audio/wav.cpp native/common/error.cpp -o /tmp/nuclei_eval
//   /tmp/nuclei_eval ../shared/data/ravdess [dip=2] [sil=25]
#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../audio/wav.hpp"
#include "../prosody/prosody.hpp"

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "../shared/data/ravdess";
  et::prosody::ProsodyOptions o;
  int step = 1;
  for (int a = 2; a < argc; ++a) {
    std::string kv = argv[a];
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq);
    double v = atof(kv.c_str() + eq + 1);
    if (k == "dip") o.min_dip_db = v;
    else if (k == "sil") o.silence_db = v;
    else if (k == "np") o.nuclei_min_pitch = v;
    else if (k == "after") o.nuclei_dip_after = v != 0;
    else if (k == "step") step = int(v);
  }
  std::vector<std::string> files;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.substr(n.size() - 4) == ".wav") files.push_back(n);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  std::map<int, std::pair<double, int>> per;
  std::map<int, double> bias;
  double tot = 0, secs = 0, audio = 0;
  int cnt = 0;
  for (size_t fi = 0; fi < files.size(); fi += step) {
    std::ifstream w(dir + "/" + files[fi], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(w)), {});
    et::DecodedAudio a = et::decode_wav((const uint8_t*)bytes.data(), bytes.size());
    auto t0 = std::chrono::steady_clock::now();
    et::prosody::ProsodyResult r = et::prosody::analyze(a.samples.data(), a.samples.size(), a.sample_rate, o);
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    audio += r.duration;
    int emo = std::stoi(files[fi].substr(6, 2));
    double err = double(r.nuclei.size()) - 7;
    per[emo].first += std::fabs(err);
    per[emo].second++;
    bias[emo] += err;
    tot += std::fabs(err);
    cnt++;
  }
  printf("MAE %.3f (n=%d) |", tot / cnt, cnt);
  for (auto& [e, p] : per) printf(" e%02d %.2f(%+.2f)", e, p.first / p.second, bias[e] / p.second);
  printf(" | %.0fx RT\n", audio / secs);
}
