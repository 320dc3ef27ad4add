#include "fft.hpp"

#include <cmath>

#include "../common/error.hpp"

namespace et::dsp {

RealFft::RealFft(size_t n) : n_(n), half_(n / 2) {
  if (n < 4 || (n & (n - 1)) != 0) throw Error(ErrorCode::InvalidArg, "FFT size must be a power of two >= 4; got " + std::to_string(n));
  twiddle_.resize(half_);
  for (size_t k = 0; k < half_; ++k) {
    double a = -2.0 * M_PI * double(k) / double(n);
    twiddle_[k] = {std::cos(a), std::sin(a)};
  }
  bitrev_.resize(half_);
  size_t bits = 0;
  while ((size_t(1) << bits) < half_) ++bits;
  for (size_t i = 0; i < half_; ++i) {
    size_t r = 0;
    for (size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev_[i] = r;
  }
}

namespace {
// Complex product written out: the same two products and one sum/difference per part as the
// operator* of std::complex (so the same bits for finite values), without its NaN recovery
// branch, which cost a quarter of the FFT's time. The inputs here are always finite.
inline std::complex<double> mul(std::complex<double> a, std::complex<double> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
}  // namespace

// The n-point real FFT is computed as an n/2-point complex FFT of z[k] = x[2k] + i·x[2k+1],
// then split into the spectra of the even and odd samples.
void RealFft::power(const float* x, float* out, std::vector<std::complex<double>>& z) const {
  const size_t m = half_;
  z.resize(m);
  for (size_t i = 0; i < m; ++i) z[bitrev_[i]] = {double(x[2 * i]), double(x[2 * i + 1])};
  // The first stage's only twiddle is exactly 1: its product changes nothing but the sign of a
  // zero (which no later sum, product or the final |X|² can turn into another value).
  for (size_t s = 0; s < m; s += 2) {
    std::complex<double> a = z[s], b = z[s + 1];
    z[s] = a + b;
    z[s + 1] = a - b;
  }
  for (size_t len = 4; len <= m; len <<= 1) {
    const size_t step = n_ / len;  // twiddle stride for an m-point FFT uses e^{-2πik/len} = twiddle_[k·n/len]
    for (size_t s = 0; s < m; s += len) {
      for (size_t k = 0; k < len / 2; ++k) {
        std::complex<double> w = twiddle_[k * step];
        std::complex<double> a = z[s + k], b = mul(z[s + k + len / 2], w);
        z[s + k] = a + b;
        z[s + k + len / 2] = a - b;
      }
    }
  }
  for (size_t k = 0; k <= m; ++k) {
    // z[k mod m] and z[(m − k) mod m] without two integer divisions per bin.
    std::complex<double> zk = z[k == m ? 0 : k], zc = std::conj(z[k == 0 ? 0 : m - k]);
    std::complex<double> even = 0.5 * (zk + zc);
    std::complex<double> odd = mul(std::complex<double>(0, -0.5), zk - zc);
    std::complex<double> w = k < m ? twiddle_[k] : std::complex<double>(-1, 0);
    std::complex<double> X = even + mul(w, odd);
    out[k] = float(std::norm(X));
  }
}

}  // namespace et::dsp
