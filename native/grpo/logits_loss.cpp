// The fused path: token loss straight from logits. Per row (one token): an online max/sum-exp
// pass gives ℓ = log_softmax(z/T)[label] and the entropy; the per-token objective gives
// g = w·∂L/∂ℓ; a second pass over the row, still in cache, writes
// ∂loss/∂z = g·(onehot − softmax)/T in the logits' own element type (bf16 stays bf16), possibly
// over the logits themselves. No float32 copy of the logits is ever made.
// No code here reads the floating-point exception flags; without this GCC keeps the clamps of
// fast_exp as branches (it will not speculate possibly-trapping compares) and the loops stay
// scalar.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "detail.hpp"
#include "grpo.hpp"
#include "loss_common.hpp"
#include "../common/parallel.hpp"
#include "scaled_logit.hpp"
#include "token_term.hpp"

namespace et::grpo {

using detail::invalid;
using detail::num;

namespace {

struct Bf16 {
  uint16_t bits;
};

inline float load(const float* p, size_t j) { return p[j]; }
inline double load(const double* p, size_t j) { return p[j]; }
inline float load(const Bf16* p, size_t j) { return __builtin_bit_cast(float, uint32_t(p[j].bits) << 16); }

inline void store(float* p, size_t j, float v) { p[j] = v; }
inline void store(double* p, size_t j, double v) { p[j] = v; }
// float → bf16 with round-to-nearest-even (gradients are finite, so no NaN special case).
inline void store(Bf16* p, size_t j, float v) {
  uint32_t u = __builtin_bit_cast(uint32_t, v);
  u += 0x7FFFu + ((u >> 16) & 1u);
  p[j].bits = uint16_t(u >> 16);
}

constexpr size_t kMaxBlock = 2048;  // elements per running-max update
constexpr size_t kSumBlock = 256;   // elements per float partial sum before float64

struct RowStats {
  double max;    // max_j z_j (raw, not scaled)
  double sum;    // S = Σ_j e^{d_j}, d_j = scaled_logit(z_j, max, 1/T) ≤ 0; S ≥ 1
  double tsum;   // Σ_j e^{d_j}·d_j (d_j clamped at the exp floor, so always finite)
  bool finite;   // no NaN/Inf among the row's logits
};

// e^d for a softmax argument d ≤ 0 (possibly −inf): 0 below the exp floor. `dc` receives the
// clamped argument for the entropy sum.
template <class C>
inline C softmax_exp(C d, C& dc) {
  dc = clamp_softmax_arg(d);
  C e = fast_exp_in_range(dc);  // dc ∈ [−87, 0]
  return d < C(kExpFloor) ? C(0) : e;
}

// One read of the row: block max of the raw logits, rescale of the running sums when the max
// grows, then the block's exponentials against the running max. One exp per element. Finite
// logits of any magnitude and any temperature in range give finite sums (see scaled_logit).
template <class E, class C>
ET_GRPO_CLONES RowStats row_stats(const E* __restrict z, size_t V, C inv_t) {
  C m = -std::numeric_limits<C>::infinity();
  double S = 0.0, Tt = 0.0;
  C chk = 0;
  for (size_t b0 = 0; b0 < V; b0 += kMaxBlock) {
    const size_t b1 = std::min(V, b0 + kMaxBlock);
    C bm = -std::numeric_limits<C>::infinity();
    C bchk = 0;
#pragma omp simd reduction(max : bm) reduction(+ : bchk)
    for (size_t j = b0; j < b1; ++j) {
      C x = load(z, j);
      bm = x > bm ? x : bm;
      bchk += x - x;
    }
    chk += bchk;
    if (bm > m) {
      if (S > 0) {
        // ≤ 0; −inf (logits ±1e308 in float64) is clamped where e^shift is already 0, so the
        // rescale never forms 0·inf.
        double shift = scaled_logit<double>(double(m), double(bm), double(inv_t));
        shift = shift < -1000.0 ? -1000.0 : shift;
        double s = std::exp(shift);
        Tt = s * (Tt + shift * S);
        S *= s;
      }
      m = bm;
    }
    for (size_t s0 = b0; s0 < b1; s0 += kSumBlock) {
      const size_t s1 = std::min(b1, s0 + kSumBlock);
      C ps = 0, pt = 0;
#pragma omp simd reduction(+ : ps, pt)
      for (size_t j = s0; j < s1; ++j) {
        C dc;
        C e = softmax_exp(scaled_logit<C>(load(z, j), m, inv_t), dc);
        ps += e;
        pt += e * dc;
      }
      S += double(ps);
      Tt += double(pt);
    }
  }
  return RowStats{double(m), S, Tt, chk == C(0)};
}

// Second read of the row: out[j] = −coef·softmax_j (the label's entry is fixed up by the
// caller). `out` may be `z` itself (in place): each element is read before it is written.
template <class E, class C>
ET_GRPO_CLONES void row_grad(const E* z, E* out, size_t V, C inv_t, C m, C inv_s, C coef) {
  const C neg = -coef * inv_s;
#pragma omp simd
  for (size_t j = 0; j < V; ++j) {
    C dc;
    store(out, j, neg * softmax_exp(scaled_logit<C>(load(z, j), m, inv_t), dc));
  }
}

// Largest finite gradient magnitude each element type can hold (bf16 rounds anything above its
// largest value, 0x7F7F, up to inf).
constexpr double max_grad(const float*) { return 3.4028234663852886e38; }
constexpr double max_grad(const double*) { return 1.7976931348623157e308; }
constexpr double max_grad(const Bf16*) { return 3.3895313892515355e38; }
constexpr const char* type_name(const float*) { return "float32"; }
constexpr const char* type_name(const double*) { return "float64"; }
constexpr const char* type_name(const Bf16*) { return "bf16"; }

// Index of the row's largest logit (only for error messages).
template <class E>
size_t argmax_row(const E* z, size_t V) {
  size_t k = 0;
  for (size_t j = 1; j < V; ++j) {
    if (double(load(z, j)) > double(load(z, k))) k = j;
  }
  return k;
}

template <class E>
void zero_row(E* out, size_t V) {
  std::memset(static_cast<void*>(out), 0, V * sizeof(E));
}

struct TokenView {
  std::vector<double> weight;  // mask·scale of the token's sequence
  std::vector<double> adv;
};

struct RowOut {
  double loss = 0, m = 0, low = 0, high = 0, dual = 0, kl = 0, ratio = 0, ent = 0;
};

template <class E, class C, int KL>
void run_rows(const LogitsLossInputs& in, const LogitsOptions& opt, const TokenView& tv, double* logp_out,
              double* ent_out, E* grad, std::vector<RowOut>& rows_out) {
  const E* logits = static_cast<const E*>(in.logits);
  const size_t V = in.vocab, N = in.rows;
  const double T = opt.temperature;
  const C inv_t = C(1.0 / T);
  const TermParams<double> p = term_params<double>(opt.loss);
  unsigned threads = N * V < 262144 ? 1 : opt.loss.threads;
  parallel_chunks(N, threads, [&](size_t r) {
    const E* z = logits + r * V;
    RowStats st = row_stats<E, C>(z, V, inv_t);
    if (!st.finite) {
      for (size_t j = 0; j < V; ++j) {
        double v = double(load(z, j));
        if (!std::isfinite(v)) {
          invalid("logits[" + std::to_string(r * V + j) + "] (row " + std::to_string(r) + ", column " +
                  std::to_string(j) + ") is " + num(v) + "; logits must be finite");
        }
      }
    }
    const size_t label = size_t(in.labels[r]);
    const double log_s = std::log(st.sum);
    const double zl = double(load(z, label));
    double lp = scaled_logit<double>(zl, st.max, double(inv_t)) - log_s;
    lp = lp > 0.0 ? 0.0 : lp;  // ℓ ≤ 0 always
    // logp is returned in the logits' precision (float64 or float32): a label logit so far
    // below the row's maximum that ℓ leaves that range cannot be scored.
    const double lp_floor = -(std::is_same<E, double>::value ? max_grad(static_cast<const double*>(nullptr))
                                                              : max_grad(static_cast<const float*>(nullptr)));
    if (!(lp >= lp_floor)) {
      const size_t k = argmax_row(z, V);
      invalid("logits row " + std::to_string(r) + ": log_softmax(logits/T)[label] = " + num(lp) + " is beyond the " +
              (std::is_same<E, double>::value ? "float64" : "float32") + " range (labels[" + std::to_string(r) +
              "] = " + std::to_string(label) + ", logits[" + std::to_string(r * V + label) + "] = " + num(zl) +
              ", row maximum logits[" + std::to_string(r * V + k) + "] = " + num(st.max) + ", temperature " + num(T) +
              "); logits must lie closer together than that");
    }
    double ent = log_s - st.tsum / st.sum;  // S ≥ 1 and tsum finite: always finite
    ent = ent < 0.0 ? 0.0 : ent;
    logp_out[r] = lp;
    ent_out[r] = ent;
    const double ref = KL == kKlNone ? lp : in.ref_logp[r];
    TermOut<double> o = token_term<double, KL>(lp, in.old_logp[r], ref, tv.adv[r], p);
    const double w = tv.weight[r];
    const double mk = in.mask ? in.mask[r] : 1.0;
    RowOut ro;
    ro.loss = w * o.loss;
    ro.m = mk;
    ro.low = mk * o.low;
    ro.high = mk * o.high;
    ro.dual = mk * o.dual;
    ro.kl = mk * o.kl;
    ro.ratio = mk * o.rho;
    ro.ent = mk * ent;
    rows_out[r] = ro;
    const double coef = w * o.grad / T;  // ∂loss/∂(z/T)·(1/T) factor
    // Every gradient entry is coef times a probability difference (|·| ≤ 1): bounded by |coef|.
    if (!std::isfinite(ro.loss) || !std::isfinite(ro.kl) || (grad && !(std::fabs(coef) <= max_grad(grad)))) {
      invalid("logits row " + std::to_string(r) + ": the token loss overflows (logp " + num(lp) + ", oldLogp " +
              num(in.old_logp[r]) + (KL != kKlNone ? ", refLogp " + num(ref) : std::string()) + ", advantage " +
              num(tv.adv[r]) + ", weight " + num(w) + ", temperature " + num(T) + " give loss " + num(ro.loss) +
              " and gradient scale " + num(coef) + (grad ? std::string(" in ") + type_name(grad) : std::string()) +
              "); inputs this large cannot be computed");
    }
    if (grad) {
      E* out = grad + r * V;
      if (coef == 0.0) {
        zero_row(out, V);
      } else {
        // Softmax from the same exponentials as the statistics: p_j = e^{z_j/T − max} / S.
        row_grad<E, C>(z, out, V, inv_t, C(st.max), C(1.0 / st.sum), C(coef));
        const double p_label = std::exp(lp);
        store(out, label, C(coef * (1.0 - p_label)));
      }
    }
  });
}

template <class E, class C>
void pick_kl(int kl, const LogitsLossInputs& in, const LogitsOptions& opt, const TokenView& tv, double* lp,
             double* ent, void* grad, std::vector<RowOut>& rows) {
  E* g = static_cast<E*>(grad);
  switch (kl) {
    case kKlK1: return run_rows<E, C, kKlK1>(in, opt, tv, lp, ent, g, rows);
    case kKlAbs: return run_rows<E, C, kKlAbs>(in, opt, tv, lp, ent, g, rows);
    case kKlK2: return run_rows<E, C, kKlK2>(in, opt, tv, lp, ent, g, rows);
    case kKlK3: return run_rows<E, C, kKlK3>(in, opt, tv, lp, ent, g, rows);
    default: return run_rows<E, C, kKlNone>(in, opt, tv, lp, ent, g, rows);
  }
}

void check_finite(const double* a, size_t n, const char* name, const char* what) {
  if (!a) return;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i])) invalid(std::string(name) + "[" + std::to_string(i) + "] is " + num(a[i]) + "; " + what);
  }
}

}  // namespace

LossMetrics logits_loss(const LogitsLossInputs& in, const LogitsOptions& opt, double* logp_out, double* entropy_out,
                        void* grad) {
  if (in.rows == 0) invalid("empty batch: labels is empty (no tokens)");
  if (in.vocab == 0) invalid("vocabulary size must be at least 1; got 0");
  validate_layout(in.layout, "the logits batch");
  if (in.layout.tokens() != in.rows) {
    invalid("the sequence layout covers " + std::to_string(in.layout.tokens()) + " tokens but there are " +
            std::to_string(in.rows) + " logits rows");
  }
  validate_loss_options(opt.loss);
  detail::check_temperature(opt.temperature);
  const bool use_ref = opt.loss.beta != 0;
  if (use_ref && !in.ref_logp) invalid("refLogp is required when beta > 0");
  const size_t N = in.rows, B = in.layout.batch;
  for (size_t r = 0; r < N; ++r) {
    int32_t l = in.labels[r];
    if (l < 0 || size_t(l) >= in.vocab) {
      invalid("labels[" + std::to_string(r) + "] = " + std::to_string(l) + " is outside the vocabulary [0, " +
              std::to_string(in.vocab) + ")");
    }
  }
  check_finite(in.old_logp, N, "oldLogp", "log-probs must be finite (masked positions included)");
  if (use_ref) check_finite(in.ref_logp, N, "refLogp", "log-probs must be finite (masked positions included)");
  check_finite(in.advantages, in.adv_per_token ? N : B, "advantages", "advantages must be finite");
  if (in.mask) {
    for (size_t i = 0; i < N; ++i) {
      if (!(in.mask[i] >= 0) || !std::isfinite(in.mask[i])) {
        invalid("mask[" + std::to_string(i) + "] is " + num(in.mask[i]) + "; mask weights must be finite and >= 0");
      }
    }
  }
  std::vector<double> scale = aggregation_scales(
      in.layout, opt.loss,
      [&](size_t b, size_t e) -> double {
        if (!in.mask) return double(e - b);
        double s = 0;
        for (size_t i = b; i < e; ++i) s += in.mask[i];
        return s;
      },
      1);
  TokenView tv;
  tv.weight.resize(N);
  tv.adv.resize(N);
  for (size_t b = 0; b < B; ++b) {
    for (size_t t = in.layout.begin(b), e = in.layout.begin(b + 1); t < e; ++t) {
      tv.weight[t] = (in.mask ? in.mask[t] : 1.0) * scale[b];
      tv.adv[t] = in.adv_per_token ? in.advantages[t] : in.advantages[b];
    }
  }
  const int kl = kl_code(opt.loss);
  std::vector<RowOut> rows(N);
  switch (in.type) {
    case LogitsType::F32: pick_kl<float, float>(kl, in, opt, tv, logp_out, entropy_out, grad, rows); break;
    case LogitsType::F64: pick_kl<double, double>(kl, in, opt, tv, logp_out, entropy_out, grad, rows); break;
    case LogitsType::BF16: pick_kl<Bf16, float>(kl, in, opt, tv, logp_out, entropy_out, grad, rows); break;
  }
  RowOut t;
  for (const RowOut& r : rows) {
    t.loss += r.loss, t.m += r.m, t.low += r.low, t.high += r.high, t.dual += r.dual, t.kl += r.kl, t.ratio += r.ratio,
        t.ent += r.ent;
  }
  if (in.mask && (!std::isfinite(t.m) || !std::isfinite(t.ratio) || !std::isfinite(t.ent))) {
    size_t worst = 0;
    for (size_t r = 1; r < N; ++r) {
      if (in.mask[r] > in.mask[worst]) worst = r;
    }
    invalid("the mask weights are too large: their sum (" + num(t.m) + ") or ratio-weighted sum (" + num(t.ratio) +
            ") overflows float64; the largest is mask[" + std::to_string(worst) + "] = " + num(in.mask[worst]));
  }
  if (!std::isfinite(t.loss) || !std::isfinite(t.kl)) {
    size_t worst = 0;
    for (size_t r = 1; r < N; ++r) {
      if (std::fabs(rows[r].loss) > std::fabs(rows[worst].loss)) worst = r;
    }
    invalid("the aggregated loss overflows (" + num(t.loss) + "; mean KL sum " + num(t.kl) +
            "): the largest per-token term is row " + std::to_string(worst) + " with " + num(rows[worst].loss) +
            " (advantage " + num(tv.adv[worst]) + ", weight " + num(tv.weight[worst]) + ")");
  }
  LossMetrics out;
  out.loss = t.loss;
  out.tokens = t.m;
  if (t.m > 0) {
    out.clip_frac_low = t.low / t.m;
    out.clip_frac_high = t.high / t.m;
    out.clip_frac_dual = t.dual / t.m;
    out.kl_mean = t.kl / t.m;
    out.ratio_mean = t.ratio / t.m;
    out.entropy_mean = t.ent / t.m;
  }
  return out;
}

}  // namespace et::grpo
