// The per-token GRPO objective shared by the token-loss and logits-loss kernels of the CPU and
// of the GPU (native/cuda/grpo_token_loss.cu and grpo_logits_loss.cu compile this same code as
// __device__, see ET_HD), written branch-free (selects only) so it vectorises inside
// `#pragma omp simd` loops. The only difference between devices is the exponential: the
// vectorisable fast_exp on the CPU, expf on the GPU (term_exp below).
//
//   Δ = clamp(ℓ − ℓ_old, ±20), ρ = e^Δ
//   L = max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high)); for A < 0 with dual clip c: L = min(L, −c·A)
//   + β·k(x), x = ℓ − ℓ_ref: k1 = x, abs = |x|, k2 = x²/2, k3 = e^u − u − 1 with u = clamp(−x, ±20)
//     and the value clamped to ±10 (verl's low-variance KL)
// and g = ∂L/∂ℓ. Clamps pass no gradient outside their range, as autograd's clamp does.
#pragma once
#include <limits>

#include "../common/host_device.hpp"
#include "fastmath.hpp"
#include "grpo.hpp"

#ifdef __CUDACC__
#define ET_TERM_INLINE __host__ __device__ __forceinline__
#else
#define ET_TERM_INLINE __attribute__((always_inline)) inline
#endif

namespace et::grpo {

// The KL estimator as the kernels see it: kKlNone when beta == 0 (no reference read).
enum KlCode { kKlNone = 0, kKlK1 = 1, kKlAbs = 2, kKlK2 = 3, kKlK3 = 4 };

inline KlCode kl_code(const LossOptions& o) { return o.beta == 0 ? kKlNone : KlCode(int(o.kl) + 1); }

template <class T>
struct TermParams {
  T lo, hi;  // 1 − clip_low, 1 + clip_high
  T c;       // dual clip constant; +inf when off
  T beta;
};

// The term's constants from the options (the dual clip off: c = +inf).
template <class T>
TermParams<T> term_params(const LossOptions& o) {
  TermParams<T> p;
  p.lo = T(1.0 - o.clip_low);
  p.hi = T(1.0 + o.clip_high);
  p.c = o.clip_c > 0 ? T(o.clip_c) : std::numeric_limits<T>::infinity();
  p.beta = T(o.beta);
  return p;
}

template <class T>
struct TermOut {
  T loss, grad, rho, kl;
  T low, high, dual;  // 0/1 flags for the metrics
};

// e^x (x_in_range: x is known to lie in [-87, 88]).
template <bool InRange, class T>
ET_TERM_INLINE T term_exp(T x) {
#ifdef __CUDA_ARCH__
  return expf(x);
#else
  if constexpr (InRange) return fast_exp_in_range(x);
  else return fast_exp(x);
#endif
}

template <class T, int KL>
ET_TERM_INLINE TermOut<T> token_term(T lp, T old, T ref, T A, const TermParams<T>& p) {
  TermOut<T> o;
  T d = lp - old;
  // Bitwise & on the comparisons (not &&): no short-circuit branches, so the loop if-converts.
  T in_range = ((d > T(-20)) & (d < T(20))) ? T(1) : T(0);
  d = d < T(-20) ? T(-20) : d;
  d = d > T(20) ? T(20) : d;
  T rho = term_exp<true>(d);  // d ∈ [−20, 20]
  T negA = -A;
  T rc = rho < p.lo ? p.lo : rho;
  rc = rc > p.hi ? p.hi : rc;
  T l1 = negA * rho, l2 = negA * rc;
  T L = l1 > l2 ? l1 : l2;
  // The unclipped branch carries the gradient −A·ρ·dΔ/dℓ: always inside the clip range, and on
  // the side where it is the larger of the two.
  // (A select between two comparison masks does not vectorise with GCC 12; and/or does.)
  bool keep = ((A > T(0)) & (rho <= p.hi)) | ((A <= T(0)) & (rho >= p.lo));
  T g = keep ? l1 * in_range : T(0);
  T cap = p.c * negA;
  bool dual = (A < T(0)) & (L > cap);
  L = dual ? cap : L;
  g = dual ? T(0) : g;
  o.low = ((A < T(0)) & (rho < p.lo)) ? T(1) : T(0);
  o.high = ((A > T(0)) & (rho > p.hi)) ? T(1) : T(0);
  o.dual = dual ? T(1) : T(0);
  T k = T(0), dk = T(0);
  if constexpr (KL != kKlNone) {
    T x = lp - ref;
    if constexpr (KL == kKlK1) {
      k = x;
      dk = T(1);
    } else if constexpr (KL == kKlAbs) {
      k = x < T(0) ? -x : x;
      dk = x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    } else if constexpr (KL == kKlK2) {
      k = T(0.5) * x * x;
      dk = x;
    } else {
      T u = -x;
      T u_in = ((u > T(-20)) & (u < T(20))) ? T(1) : T(0);
      u = u < T(-20) ? T(-20) : u;
      u = u > T(20) ? T(20) : u;
      T eu = term_exp<false>(u);
      T v = eu - u - T(1);
      T v_in = ((v < T(10)) & (v > T(-10))) ? T(1) : T(0);
      v = v > T(10) ? T(10) : v;
      v = v < T(-10) ? T(-10) : v;
      k = v;
      dk = (T(1) - eu) * u_in * v_in;  // dv/du = e^u − 1, du/dℓ = −1
    }
  }
  o.loss = L + p.beta * k;
  o.grad = g + p.beta * dk;
  o.rho = rho;
  o.kl = k;
  return o;
}

// The weight of a masked token of sequence b under the aggregation (docs/formulas.md#aggregation), so that
// loss = Σ_t m_t·scale_b·L_t: `total` is Σ mask over the batch, `seq_mask` Σ mask over sequence b
// (each needed only by the aggregation that divides by it).
ET_HD inline double aggregation_scale(Agg agg, double batch, double seq_mask, double total, double norm_len) {
  switch (agg) {
    case Agg::TokenMean: return 1.0 / (total > 1.0 ? total : 1.0);
    case Agg::SeqMeanTokenMean: return 1.0 / (batch * (seq_mask > 1.0 ? seq_mask : 1.0));
    case Agg::SeqMeanTokenSum: return 1.0 / batch;
    default: return 1.0 / norm_len;
  }
}

// The term for a KL estimator known only at run time (the logits rows, the GPU kernels).
template <class T>
ET_TERM_INLINE TermOut<T> term_by_code(int kl, T lp, T old, T ref, T A, const TermParams<T>& p) {
  switch (kl) {
    case kKlK1: return token_term<T, kKlK1>(lp, old, ref, A, p);
    case kKlAbs: return token_term<T, kKlAbs>(lp, old, ref, A, p);
    case kKlK2: return token_term<T, kKlK2>(lp, old, ref, A, p);
    case kKlK3: return token_term<T, kKlK3>(lp, old, ref, A, p);
    default: return token_term<T, kKlNone>(lp, old, ref, A, p);
  }
}

}  // namespace et::grpo
