// The per-token GRPO objective shared by the token-loss and logits-loss kernels, written
// branch-free (selects only) so it vectorises inside `#pragma omp simd` loops.
//
//   Δ = clamp(ℓ − ℓ_old, ±20), ρ = e^Δ
//   L = max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high)); for A < 0 with dual clip c: L = min(L, −c·A)
//   + β·k(x), x = ℓ − ℓ_ref: k1 = x, abs = |x|, k2 = x²/2, k3 = e^u − u − 1 with u = clamp(−x, ±20)
//     and the value clamped to ±10 (verl's low-variance KL)
// and g = ∂L/∂ℓ. Clamps pass no gradient outside their range, as autograd's clamp does.
#pragma once
#include "fastmath.hpp"

namespace et::grpo {

enum KlCode { kKlNone = 0, kKlK1 = 1, kKlAbs = 2, kKlK2 = 3, kKlK3 = 4 };

template <class T>
struct TermParams {
  T lo, hi;  // 1 − clip_low, 1 + clip_high
  T c;       // dual clip constant; +inf when off
  T beta;
};

template <class T>
struct TermOut {
  T loss, grad, rho, kl;
  T low, high, dual;  // 0/1 flags for the metrics
};

template <class T, int KL>
__attribute__((always_inline)) inline TermOut<T> token_term(T lp, T old, T ref, T A, const TermParams<T>& p) {
  TermOut<T> o;
  T d = lp - old;
  // Bitwise & on the comparisons (not &&): no short-circuit branches, so the loop if-converts.
  T in_range = ((d > T(-20)) & (d < T(20))) ? T(1) : T(0);
  d = d < T(-20) ? T(-20) : d;
  d = d > T(20) ? T(20) : d;
  T rho = fast_exp_in_range(d);  // d ∈ [−20, 20]
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
      T eu = fast_exp(u);
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

}  // namespace et::grpo
