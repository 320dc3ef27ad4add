// Clipped policy-gradient token loss with KL penalty, from per-token log-probs: loss, gradient
// with respect to the log-probs and metrics in one streaming pass (plus a pass over the mask
// when the aggregation needs its sums first).
// No code here reads the floating-point exception flags; without this GCC keeps the clamps of
// fast_exp as branches (it will not speculate possibly-trapping compares) and the loops stay
// scalar.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "detail.hpp"
#include "grpo.hpp"
#include "loss_common.hpp"
#include "../common/parallel.hpp"
#include "token_term.hpp"

namespace et::grpo {

using detail::invalid;
using detail::num;

namespace {

struct NoMask {};

template <class T>
inline T mask_at(const NoMask*, size_t) {
  return T(1);
}
template <class T>
inline T mask_at(const uint8_t* m, size_t i) {
  return T(m[i] != 0);
}
template <class T>
inline T mask_at(const T* m, size_t i) {
  return m[i];
}

struct Acc {
  double loss = 0, m = 0, low = 0, high = 0, dual = 0, kl = 0, ratio = 0, chk = 0;
  void add(const Acc& o) {
    loss += o.loss, m += o.m, low += o.low, high += o.high, dual += o.dual, kl += o.kl, ratio += o.ratio,
        chk += o.chk;
  }
};

constexpr size_t kBlock = 1024;          // float partial sums per block (≤ 128 per lane), then float64
constexpr size_t kChunkTokens = 65536;   // tokens per parallel chunk (fixed: deterministic)

// One contiguous run of tokens of one sequence. `adv` points at the run's first advantage when
// PT, else `adv_seq` is the sequence's advantage. `ref` is ignored when KL == kKlNone.
template <class T, class M, bool PT, int KL>
ET_GRPO_CLONES void run_kernel(const T* __restrict lp, const T* __restrict old, const T* __restrict ref,
                               const T* __restrict adv, T adv_seq, const M* __restrict mask, size_t n, T scale,
                               TermParams<T> p, T* __restrict grad, Acc& acc) {
  constexpr bool kNoMask = std::is_same<M, NoMask>::value;
  constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
  T mbuf[kBlock];
  for (size_t i0 = 0; i0 < n; i0 += kBlock) {
    const size_t len = std::min(n - i0, kBlock);
    // Byte masks are widened into a small L1 buffer first: GCC 12 does not vectorise the main
    // loop with a uint8 → float conversion inside it.
    const T* __restrict mb = nullptr;
    if constexpr (std::is_same<M, T>::value) {
      mb = mask + i0;
    } else if constexpr (!kNoMask) {
#pragma omp simd
      for (size_t j = 0; j < len; ++j) mbuf[j] = T(mask[i0 + j] != 0);
      mb = mbuf;
    }
    const T* __restrict l = lp + i0;
    const T* __restrict o_ = old + i0;
    const T* __restrict r_ = KL == kKlNone ? nullptr : ref + i0;
    const T* __restrict a_ = PT ? adv + i0 : nullptr;
    T* __restrict g_ = grad + i0;
    T s_loss = 0, s_m = 0, s_low = 0, s_high = 0, s_dual = 0, s_kl = 0, s_ratio = 0, s_chk = 0;
#pragma omp simd reduction(+ : s_loss, s_m, s_low, s_high, s_dual, s_kl, s_ratio, s_chk)
    for (size_t j = 0; j < len; ++j) {
      T A = PT ? a_[j] : adv_seq;
      T m = kNoMask ? T(1) : mb[j];
      T lpi = l[j], oi = o_[j];
      T ri = KL == kKlNone ? lpi : r_[j];
      TermOut<T> o = token_term<T, KL>(lpi, oi, ri, A, p);
      T w = m * scale;
      T wl = w * o.loss, wg = w * o.grad;
      s_loss += wl;
      g_[j] = wg;
      s_m += m;
      s_low += m * o.low;
      s_high += m * o.high;
      s_dual += m * o.dual;
      s_kl += m * o.kl;
      s_ratio += m * o.rho;
      // x − x is 0 for finite x and NaN for ±Inf or NaN, and a negative mask weight adds a NaN
      // too: one accumulator flags any bad value (the slow path then finds and names it).
      // The weighted gradient is checked too: finite inputs can still overflow it (advantage
      // 1e38 in float32, k2 of log-probs ±1e20). An overflowing loss term shows in s_loss.
      s_chk += (lpi - lpi) + (oi - oi) + (ri - ri) + (A - A) + (m < T(0) ? kNaN : m - m) + (wg - wg);
    }
    acc.loss += double(s_loss);
    acc.m += double(s_m);
    acc.low += double(s_low);
    acc.high += double(s_high);
    acc.dual += double(s_dual);
    acc.kl += double(s_kl);
    acc.ratio += double(s_ratio);
    acc.chk += double(s_chk);
  }
}

template <class T>
struct Ctx {
  const TokenLossInputs<T>* in;
  const LossOptions* opt;
  TermParams<T> p;
  const std::vector<T>* scale;  // per sequence weight of a masked token
  T* grad;
  size_t tokens;
};

// Index of the sequence holding token t (skipping empty sequences).
inline size_t seq_of(const SeqLayout& L, size_t t) {
  if (!L.offsets) return t / L.length;
  const uint32_t* first = L.offsets;
  const uint32_t* last = L.offsets + L.batch + 1;
  size_t b = size_t(std::upper_bound(first, last, uint32_t(t)) - first) - 1;
  return b;
}

template <class T, class M, bool PT, int KL>
std::vector<Acc> run_all(const Ctx<T>& c) {
  const auto& in = *c.in;
  const SeqLayout& L = in.layout;
  const size_t chunks = (c.tokens + kChunkTokens - 1) / kChunkTokens;
  std::vector<Acc> parts(chunks);
  const M* mask = static_cast<const M*>(in.mask);
  unsigned threads = c.tokens < 2 * kChunkTokens ? 1 : c.opt->threads;
  parallel_chunks(chunks, threads, [&](size_t ch) {
    const size_t t0 = ch * kChunkTokens, t1 = std::min(c.tokens, t0 + kChunkTokens);
    std::vector<T> scratch;
    T* grad = c.grad;
    if (!grad) {
      scratch.resize(t1 - t0);
      grad = scratch.data() - t0;
    }
    Acc acc;
    for (size_t b = seq_of(L, t0); b < L.batch; ++b) {
      size_t s0 = std::max(L.begin(b), t0), s1 = std::min(L.begin(b + 1), t1);
      if (L.begin(b) >= t1) break;
      if (s1 <= s0) continue;
      const T* adv = PT ? in.advantages + s0 : nullptr;
      const M* mk = std::is_same<M, NoMask>::value ? nullptr : mask + s0;
      run_kernel<T, M, PT, KL>(in.logp + s0, in.old_logp + s0, KL == kKlNone ? nullptr : in.ref_logp + s0, adv,
                               PT ? T(0) : in.advantages[b], mk,
                               s1 - s0, (*c.scale)[b], c.p, grad + s0, acc);
    }
    parts[ch] = acc;
  });
  return parts;
}

template <class T, class M, bool PT>
std::vector<Acc> pick_kl(const Ctx<T>& c, int kl) {
  switch (kl) {
    case kKlK1: return run_all<T, M, PT, kKlK1>(c);
    case kKlAbs: return run_all<T, M, PT, kKlAbs>(c);
    case kKlK2: return run_all<T, M, PT, kKlK2>(c);
    case kKlK3: return run_all<T, M, PT, kKlK3>(c);
    default: return run_all<T, M, PT, kKlNone>(c);
  }
}

template <class T, class M>
std::vector<Acc> pick_pt(const Ctx<T>& c, int kl) {
  return c.in->adv_per_token ? pick_kl<T, M, true>(c, kl) : pick_kl<T, M, false>(c, kl);
}

template <class T>
double mask_value(const TokenLossInputs<T>& in, size_t t) {
  switch (in.mask_type) {
    case MaskType::U8: return static_cast<const uint8_t*>(in.mask)[t] != 0 ? 1.0 : 0.0;
    case MaskType::Float: return double(static_cast<const T*>(in.mask)[t]);
    default: return 1.0;
  }
}

// Slow path after the kernel flagged a bad value: find the first one and say what it is.
// Returns when every input is finite (the flag came from an overflow; see report_overflow).
template <class T>
void report_bad_value(const TokenLossInputs<T>& in, size_t tokens, bool use_ref) {
  const size_t nadv = in.adv_per_token ? tokens : in.layout.batch;
  for (size_t i = 0; i < nadv; ++i) {
    if (!std::isfinite(double(in.advantages[i]))) {
      invalid("advantages[" + std::to_string(i) + "] is " + num(double(in.advantages[i])) + "; advantages must be finite");
    }
  }
  struct Named {
    const char* name;
    const T* data;
  };
  for (Named a : {Named{"logp", in.logp}, Named{"oldLogp", in.old_logp}, Named{"refLogp", use_ref ? in.ref_logp : nullptr}}) {
    if (!a.data) continue;
    for (size_t i = 0; i < tokens; ++i) {
      if (!std::isfinite(double(a.data[i]))) {
        invalid(std::string(a.name) + "[" + std::to_string(i) + "] is " + num(double(a.data[i])) +
                "; log-probs must be finite (masked positions included)");
      }
    }
  }
  for (size_t i = 0; i < tokens; ++i) {
    double m = mask_value(in, i);
    if (!std::isfinite(m) || m < 0) {
      invalid("mask[" + std::to_string(i) + "] is " + num(m) + "; mask weights must be finite and >= 0");
    }
  }
}


// Finite inputs whose loss overflows: name the first token whose weighted term or gradient is
// not finite in T, else (only the sum overflowed) the largest term.
template <class T>
[[noreturn]] void report_overflow(const Ctx<T>& c, int kl, double total_loss) {
  const auto& in = *c.in;
  const SeqLayout& L = in.layout;
  const char* type = std::is_same<T, float>::value ? "float32" : "float64";
  size_t worst = 0;
  double worst_v = -1;
  auto describe = [&](size_t t, size_t b, T w, const TermOut<T>& o) {
    const T A = in.adv_per_token ? in.advantages[t] : in.advantages[b];
    return "token " + std::to_string(t) + " (sequence " + std::to_string(b) + "): logp " + num(double(in.logp[t])) +
           ", oldLogp " + num(double(in.old_logp[t])) +
           (kl != kKlNone ? ", refLogp " + num(double(in.ref_logp[t])) : std::string()) + ", advantage " +
           num(double(A)) + " and weight " + num(double(w)) + " give loss " + num(double(w * o.loss)) +
           " and gradient " + num(double(w * o.grad));
  };
  for (size_t b = 0; b < L.batch; ++b) {
    for (size_t t = L.begin(b), e = L.begin(b + 1); t < e; ++t) {
      const T A = in.adv_per_token ? in.advantages[t] : in.advantages[b];
      const T ref = kl == kKlNone ? in.logp[t] : in.ref_logp[t];
      TermOut<T> o = term_by_code<T>(kl, in.logp[t], in.old_logp[t], ref, A, c.p);
      const T w = T(mask_value(in, t)) * (*c.scale)[b];
      const T wl = w * o.loss, wg = w * o.grad;
      if (!std::isfinite(double(wl)) || !std::isfinite(double(wg))) {
        invalid("the token loss overflows " + std::string(type) + " at " + describe(t, b, w, o) +
                "; inputs this large cannot be computed");
      }
      if (std::fabs(double(wl)) > worst_v) worst_v = std::fabs(double(wl)), worst = t;
    }
  }
  const size_t wb = seq_of(L, worst);
  const T A = in.adv_per_token ? in.advantages[worst] : in.advantages[wb];
  const T ref = kl == kKlNone ? in.logp[worst] : in.ref_logp[worst];
  TermOut<T> o = term_by_code<T>(kl, in.logp[worst], in.old_logp[worst], ref, A, c.p);
  invalid("the aggregated token loss overflows (" + num(total_loss) + "); the largest term is at " +
          describe(worst, wb, T(mask_value(in, worst)) * (*c.scale)[wb], o));
}

}  // namespace

// Validates a token layout; shared with the logits loss.
void validate_layout(const SeqLayout& L, const char* what) {
  if (L.batch == 0) invalid(std::string("empty batch: ") + what + " has no sequences");
  if (L.offsets) {
    if (L.offsets[0] != 0) invalid("offsets[0] must be 0; got " + std::to_string(L.offsets[0]));
    for (size_t b = 0; b < L.batch; ++b) {
      if (L.offsets[b + 1] < L.offsets[b]) {
        invalid("offsets must be non-decreasing; offsets[" + std::to_string(b + 1) + "] = " +
                std::to_string(L.offsets[b + 1]) + " < offsets[" + std::to_string(b) + "] = " +
                std::to_string(L.offsets[b]));
      }
    }
  } else if (L.length == 0) {
    invalid(std::string("empty batch: ") + what + " sequences have length 0");
  }
  if (L.tokens() == 0) invalid(std::string("empty batch: ") + what + " has no tokens");
}

void validate_loss_options(const LossOptions& o) {
  // Ranges from the option table (options.hpp); the TypeScript resolver checks the same rows.
  auto check = [](const char* key, double v) {
    const options::Spec& s = options::spec(options::kLoss, key);
    if (!options::accepts(s, v)) invalid(std::string(key) + " must be " + options::expected_text(s) + "; got " + num(v));
  };
  check("clipLow", o.clip_low);
  check("clipHigh", o.clip_high);
  check("clipC", o.clip_c);
  check("beta", o.beta);
  if (o.agg == Agg::SeqMeanTokenSumNorm) check("normLen", o.norm_len);
}

namespace {
template <class T>
ET_GRPO_CLONES double sum_mask(const T* m, size_t n) {
  T s = 0;
  double total = 0;
  for (size_t i0 = 0; i0 < n; i0 += 4096) {
    s = 0;
    size_t i1 = std::min(n, i0 + 4096);
#pragma omp simd reduction(+ : s)
    for (size_t i = i0; i < i1; ++i) s += m[i];
    total += double(s);
  }
  return total;
}
ET_GRPO_CLONES double count_mask(const uint8_t* m, size_t n) {
  size_t c = 0;
#pragma omp simd reduction(+ : c)
  for (size_t i = 0; i < n; ++i) c += m[i] != 0;
  return double(c);
}
}  // namespace

template <class T>
LossMetrics token_loss(const TokenLossInputs<T>& in, const LossOptions& opt, T* grad) {
  validate_layout(in.layout, "the token batch");
  validate_loss_options(opt);
  const bool use_ref = opt.beta != 0;
  if (use_ref && !in.ref_logp) invalid("refLogp is required when beta > 0");
  const size_t tokens = in.layout.tokens();
  if (!in.adv_per_token) {
    for (size_t b = 0; b < in.layout.batch; ++b) {
      if (!std::isfinite(double(in.advantages[b]))) {
        invalid("advantages[" + std::to_string(b) + "] is " + num(double(in.advantages[b])) + "; advantages must be finite");
      }
    }
  }
  std::vector<double> scale_d = aggregation_scales(
      in.layout, opt,
      [&](size_t b, size_t e) -> double {
        switch (in.mask_type) {
          case MaskType::U8: return count_mask(static_cast<const uint8_t*>(in.mask) + b, e - b);
          case MaskType::Float: return sum_mask(static_cast<const T*>(in.mask) + b, e - b);
          default: return double(e - b);
        }
      },
      opt.threads);
  std::vector<T> scale(scale_d.begin(), scale_d.end());

  Ctx<T> c;
  c.in = &in;
  c.opt = &opt;
  c.p = term_params<T>(opt);
  c.scale = &scale;
  c.grad = grad;
  c.tokens = tokens;
  const int kl = kl_code(opt);
  std::vector<Acc> parts;
  switch (in.mask_type) {
    case MaskType::U8: parts = pick_pt<T, uint8_t>(c, kl); break;
    case MaskType::Float: parts = pick_pt<T, T>(c, kl); break;
    default: parts = pick_pt<T, NoMask>(c, kl); break;
  }
  Acc total;
  for (const Acc& a : parts) total.add(a);
  if (!(total.chk == 0)) report_bad_value(in, tokens, use_ref);
  if (!std::isfinite(total.m) || !std::isfinite(total.ratio)) {
    // Σ mask or Σ mask·ratio overflows (mask weights near the type's maximum).
    size_t worst = 0;
    for (size_t i = 1; i < tokens; ++i) {
      if (mask_value(in, i) > mask_value(in, worst)) worst = i;
    }
    invalid("the mask weights are too large: their sum (" + num(total.m) + ") or ratio-weighted sum (" +
            num(total.ratio) + ") overflows " + (std::is_same<T, float>::value ? "float32" : "float64") +
            "; the largest is mask[" + std::to_string(worst) + "] = " + num(mask_value(in, worst)));
  }
  if (!(total.chk == 0) || !std::isfinite(total.loss) || !std::isfinite(total.kl)) report_overflow(c, kl, total.loss);

  LossMetrics r;
  r.loss = total.loss;
  r.tokens = total.m;
  const double den = std::max(total.m, 1e-300);
  if (total.m > 0) {
    r.clip_frac_low = total.low / den;
    r.clip_frac_high = total.high / den;
    r.clip_frac_dual = total.dual / den;
    r.kl_mean = total.kl / den;
    r.ratio_mean = total.ratio / den;
  }
  return r;
}

template LossMetrics token_loss<float>(const TokenLossInputs<float>&, const LossOptions&, float*);
template LossMetrics token_loss<double>(const TokenLossInputs<double>&, const LossOptions&, double*);

}  // namespace et::grpo
