// Branch-free exp for the GRPO kernels, written so the auto-vectoriser can turn it into SIMD
// code inside `#pragma omp simd` loops (no libm call, no table). Cody-Waite range reduction
// x = n·ln2 + r, |r| ≤ ln2/2, then a degree-6 polynomial for e^r (Cephes expf coefficients)
// and 2^n built from the exponent bits. Relative error ≤ 2 ulp of float over [-87, 88];
// inputs below -87 give e^-87 (≈1.6e-38, not 0) and above 88 give e^88: callers only feed
// clamped arguments (±20) or softmax arguments (≤ 0) where that floor is harmless.
#pragma once
#include <cmath>
#include <cstdint>

// Like ET_SIMD_CLONES (native/common/simd.hpp) plus an AVX-512 clone: the GRPO loops are
// compute-bound at AVX2 width (two exps and a dozen selects per token, more live values than
// 16 ymm registers), and the 32 zmm registers of x86-64-v4 roughly halve their time. Only for
// functions that never throw: GCC 12's clone dispatcher is treated as nothrow.
// gcc only: clang cannot multiversion the templates these mark (clang builds the fuzz targets).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define ET_GRPO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ET_GRPO_CLONES
#endif

namespace et::grpo {

// e^x for x already known to lie in [-87, 88] (no range clamps).
inline float fast_exp_in_range(float x) {
  // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (vectorises everywhere,
  // unlike nearbyint without SSE4.1).
  const float shifter = 12582912.0f;
  float n = (x * 1.44269504088896341f + shifter) - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  int32_t bits = (int32_t(n) + 127) << 23;
  return y * __builtin_bit_cast(float, bits);
}

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  return fast_exp_in_range(x);
}

// The float64 path of the kernels uses libm's exp.
inline double fast_exp(double x) { return std::exp(x); }
inline double fast_exp_in_range(double x) { return std::exp(x); }

}  // namespace et::grpo
