// Real WAV files for the standalone native tests (they read ../shared/data): the sorted .wav
// paths of a folder and a file's bytes or mono samples. One copy for every test that reads them.
#pragma once
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../audio/resample.hpp"
#include "../audio/wav.hpp"

namespace et_test {

// The .wav files directly in `dir`, sorted, at most `max` of them (none when it cannot be read).
inline std::vector<std::string> wav_paths(const std::string& dir, size_t max = SIZE_MAX) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.substr(n.size() - 4) == ".wav") out.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > max) out.resize(max);
  return out;
}

// The file's bytes (empty when it cannot be read).
inline std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The file decoded, its channels mixed to one by the package's mixer (channels is then 1).
inline et::DecodedAudio decode_mono(const std::string& path) {
  const std::vector<uint8_t> bytes = file_bytes(path);
  et::DecodedAudio a = et::decode_wav(bytes.data(), bytes.size());
  if (a.channels != 1) a.samples = et::mix_to_mono(a.samples.data(), a.samples.size() / a.channels, a.channels);
  a.channels = 1;
  return a;
}

}  // namespace et_test
