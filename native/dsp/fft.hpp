// Real-input FFT (radix-2, iterative) for power spectra. Tables are built once per size.
#pragma once
#include <complex>
#include <cstddef>
#include <vector>

namespace et::dsp {

class RealFft {
 public:
  // n must be a power of two ≥ 4.
  explicit RealFft(size_t n);
  size_t size() const { return n_; }
  // |X[k]|² for k = 0..n/2 of the real input x[0..n). `work` is scratch owned by the caller
  // (so one RealFft can serve several threads).
  void power(const float* x, float* power_out, std::vector<std::complex<double>>& work) const;

 private:
  size_t n_, half_;
  std::vector<std::complex<double>> twiddle_;  // e^{-2πik/n}, k < n/2
  std::vector<size_t> bitrev_;                 // for the n/2-point complex FFT
};

}  // namespace et::dsp
