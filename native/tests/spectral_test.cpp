// FFT and spectral statistics without Node.
#include <cmath>
#include <complex>
#include <cstdio>
#include <vector>

#include "../dsp/fft.hpp"
#include "../features/spectral.hpp"
#include "check.hpp"


int main() {
  // Power spectrum against a direct DFT on random input.
  const size_t n = 64;
  std::vector<float> x(n);
  unsigned s = 1;
  for (auto& v : x) v = float((s = s * 1103515245u + 12345u) >> 16 & 0x7fff) / 32768.0f - 0.5f;
  et::dsp::RealFft fft(n);
  std::vector<float> p(n / 2 + 1);
  std::vector<std::complex<double>> work;
  fft.power(x.data(), p.data(), work);
  for (size_t k = 0; k <= n / 2; ++k) {
    std::complex<double> X = 0;
    for (size_t t = 0; t < n; ++t) X += double(x[t]) * std::polar(1.0, -2 * M_PI * double(k * t) / double(n));
    CHECK(std::fabs(std::norm(X) - p[k]) < 1e-4 * (1 + std::norm(X)));
  }

  // A 1 kHz tone: the loudest mel band is the one centred nearest 1 kHz; MFCC spread is ~0.
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * float(std::sin(2 * M_PI * 1000.0 * double(i) / 16000.0));
  et::features::SpectralStats st = et::features::spectral_stats(tone.data(), tone.size(), 16000);
  CHECK(st.frames == 98);
  size_t best = 0;
  for (size_t m = 1; m < st.mel_mean.size(); ++m)
    if (st.mel_mean[m] > st.mel_mean[best]) best = m;
  // HTK mel centres for 40 bands over 20..8000 Hz: band 14 is centred near 1 kHz.
  CHECK(best >= 13 && best <= 15);
  for (float v : st.mfcc_std) CHECK(v < 0.2f);  // a steady tone: the cepstrum barely moves

  // Shorter than one window: zero frames, zero-filled statistics.
  et::features::SpectralStats empty = et::features::spectral_stats(tone.data(), 100, 16000);
  CHECK(empty.frames == 0 && empty.mfcc_mean.size() == 13 && empty.mfcc_mean[0] == 0.0f);

  return check_report("spectral");
}
