// Group-relative advantages (GRPO, Dr. GRPO, RLOO) and the GRPO-PTR reward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "advantage_scale.hpp"
#include "detail.hpp"
#include "grpo.hpp"
#include "../common/parallel.hpp"

namespace et::grpo {

using detail::invalid;
using detail::num;

size_t validate_groups(const Groups& g, size_t n, const char* what) {
  if (n == 0) invalid(std::string(what) + " is empty: need at least one response");
  if (g.offsets == nullptr) {
    if (g.size == 0) invalid("group size must be at least 1; got 0");
    if (n % g.size != 0) {
      invalid(std::string(what) + " length " + std::to_string(n) + " is not a multiple of the group size " +
              std::to_string(g.size));
    }
    return n / g.size;
  }
  if (g.count == 0) invalid("group offsets need at least 2 entries (0 and the total); got " + std::to_string(g.count + 1));
  if (g.offsets[0] != 0) invalid("group offsets[0] must be 0; got " + std::to_string(g.offsets[0]));
  for (size_t k = 0; k < g.count; ++k) {
    uint32_t a = g.offsets[k], b = g.offsets[k + 1];
    if (b < a) {
      invalid("group offsets must be increasing; offsets[" + std::to_string(k + 1) + "] = " + std::to_string(b) +
              " < offsets[" + std::to_string(k) + "] = " + std::to_string(a));
    }
    if (b == a) {
      invalid("group " + std::to_string(k) + " is empty (offsets[" + std::to_string(k) + "] = offsets[" +
              std::to_string(k + 1) + "] = " + std::to_string(a) + "); every group needs at least one response");
    }
  }
  if (g.offsets[g.count] != n) {
    invalid("group offsets must end at the " + std::string(what) + " length " + std::to_string(n) + "; last offset is " +
            std::to_string(g.offsets[g.count]));
  }
  return g.count;
}

namespace {

[[noreturn]] void bad_reward(double v, size_t i) {
  invalid("rewards[" + std::to_string(i) + "] is " + num(v) +
          "; rewards must be finite (NaN marks a missing reward and is excluded)");
}

[[noreturn]] void bad_advantage(double v, size_t i, double a, const AdvantageOptions& opt, const char* type) {
  const char* mode = opt.mode == AdvMode::Rloo ? "rloo" : opt.mode == AdvMode::DrGrpo ? "dr_grpo" : "grpo";
  invalid("rewards[" + std::to_string(i) + "] = " + num(v) + " gives a " + mode + " advantage of " + num(a) +
          ", beyond the " + type + " range; rewards must differ by less than that within a group");
}

// The general path for a group whose rewards are too large or too small for plain float64
// sums (|r| beyond 2^480 or below 2^-400, e.g. ±1e308: Σ r or (r − mean)² overflow, or a tiny
// variance underflows to 0). The statistics are taken on r·2^−k with 2^k the magnitude of the
// largest reward: scaling by a power of two is exact, so where the plain path would not have
// overflowed this gives the same bits. An advantage whose true value is outside the output
// type's range (dr_grpo/rloo of rewards ±1e308) is refused rather than returned as ±inf.
template <class T>
__attribute__((noinline)) void scaled_group(const T* r, T* out, size_t n, size_t base, double maxabs, size_t cnt,
                                            const AdvantageOptions& opt) {
  const int k = std::ilogb(maxabs);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double v = double(r[i]);
    if (v == v) sum += std::ldexp(v, -k);
  }
  const double mean = sum / double(cnt);
  double scale = 1.0;
  bool unscale = true;  // dr_grpo and rloo are in reward units: scale the result back by 2^k
  switch (opt.mode) {
    case AdvMode::Grpo: {
      double ss = 0.0;
      for (size_t i = 0; i < n; ++i) {
        double v = double(r[i]);
        if (v == v) {
          double d = std::ldexp(v, -k) - mean;
          ss += d * d;
        }
      }
      double var = ss / double(opt.std == StdKind::Unbiased ? cnt - 1 : cnt);
      // (r − mean)/(std + eps) = (r·2^−k − mean')/(std' + eps·2^−k): unit-free.
      scale = 1.0 / (std::sqrt(var) + std::ldexp(opt.eps, -k));
      unscale = false;
      break;
    }
    case AdvMode::DrGrpo: break;
    case AdvMode::Rloo: scale = double(cnt) / (double(cnt) - 1.0); break;
  }
  const double lim = std::numeric_limits<T>::max();
  for (size_t i = 0; i < n; ++i) {
    double v = double(r[i]);
    if (v != v) {
      out[i] = T(0);
      continue;
    }
    double a = (std::ldexp(v, -k) - mean) * scale;
    if (unscale) a = std::ldexp(a, k);
    if (!(std::fabs(a) <= lim)) bad_advantage(v, base + i, a, opt, std::is_same<T, float>::value ? "float32" : "float64");
    out[i] = T(a);
  }
}

// One group of n = G (compile-time, so short loops unroll and vectorise) or n_rt rewards
// starting at r. Float64 statistics; the common no-NaN case is branch-free.
template <class T, size_t G>
__attribute__((always_inline)) inline void one_group(const T* __restrict r, T* __restrict out, size_t n_rt,
                                                     size_t base, const AdvantageOptions& opt) {
  const size_t n = G ? G : n_rt;
  double sum = 0.0, mn = std::numeric_limits<double>::infinity(), mx = -mn;
  size_t cnt = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = double(r[i]);
    bool ok = v == v;
    cnt += ok;
    sum += ok ? v : 0.0;
    mn = ok & (v < mn) ? v : mn;  // & rather than &&: no branch, so the loop if-converts
    mx = ok & (v > mx) ? v : mx;
  }
  if (cnt > 0 && (mn == -std::numeric_limits<double>::infinity() || mx == std::numeric_limits<double>::infinity())) {
    for (size_t i = 0; i < n; ++i) {
      if (std::isinf(double(r[i]))) bad_reward(double(r[i]), base + i);
    }
  }
  if (cnt == 0 || (cnt > 1 && mn == mx)) {
    for (size_t i = 0; i < n; ++i) out[i] = T(0);
    return;
  }
  if (cnt == 1) {
    for (size_t i = 0; i < n; ++i) {
      T v = r[i];
      out[i] = (opt.singleton == Singleton::Raw && v == v) ? v : T(0);
    }
    return;
  }
  // Plain float64 sums are exact enough and cannot overflow for |r| in [2^-400, 2^480]; dr_grpo
  // and rloo advantages (at most 2·(max − min)) must also fit the output type.
  const double maxabs = std::max(-mn, mx);
  const bool in_range = (maxabs <= 0x1p480) & (maxabs >= 0x1p-400) &
                        (opt.mode == AdvMode::Grpo || 2.0 * (mx - mn) <= double(std::numeric_limits<T>::max()));
  if (!in_range) {
    scaled_group<T>(r, out, n, base, maxabs, cnt, opt);
    return;
  }
  const bool has_nan = cnt != n;
  const double mean = sum / double(cnt);
  const double shift = mean;  // every mode is out = (v − mean)·scale (advantage_scale.hpp)
  double ss = 0.0;
  if (opt.mode == AdvMode::Grpo) {
    for (size_t i = 0; i < n; ++i) {
      double d = double(r[i]) - mean;
      ss += d == d ? d * d : 0.0;
    }
  }
  const double scale = advantage_scale(opt.mode, opt.std == StdKind::Unbiased, opt.eps, double(cnt), ss);
  if (!has_nan) {
    for (size_t i = 0; i < n; ++i) out[i] = T((double(r[i]) - shift) * scale);
  } else {
    for (size_t i = 0; i < n; ++i) {
      double v = double(r[i]);
      out[i] = v == v ? T((v - shift) * scale) : T(0);
    }
  }
}

// No target_clones here: this code throws (±Inf rewards) and GCC 12 marks the clone dispatcher
// nothrow, so an exception through it terminates. The loop is memory-bound anyway.
template <class T, size_t G>
void fixed_groups(const T* rewards, T* out, size_t g0, size_t g1, size_t size, const AdvantageOptions& opt) {
  for (size_t g = g0; g < g1; ++g) one_group<T, G>(rewards + g * size, out + g * size, size, g * size, opt);
}

template <class T>
void ragged_groups(const T* rewards, T* out, const uint32_t* offsets, size_t g0, size_t g1,
                                  const AdvantageOptions& opt) {
  for (size_t g = g0; g < g1; ++g) {
    const size_t b = offsets[g], e = offsets[g + 1];
    switch (e - b) {  // the common GRPO group sizes get unrolled code
      case 4: one_group<T, 4>(rewards + b, out + b, 4, b, opt); break;
      case 8: one_group<T, 8>(rewards + b, out + b, 8, b, opt); break;
      case 16: one_group<T, 16>(rewards + b, out + b, 16, b, opt); break;
      default: one_group<T, 0>(rewards + b, out + b, e - b, b, opt); break;
    }
  }
}

constexpr size_t kChunkItems = 32768;  // elements per parallel chunk (fixed: deterministic)

}  // namespace

template <class T>
void group_advantages(const T* rewards, size_t n, const Groups& groups, const AdvantageOptions& opt, T* out) {
  const size_t k = validate_groups(groups, n, "rewards");
  if (!(opt.eps >= 0.0) || !std::isfinite(opt.eps)) invalid("eps must be a finite number >= 0; got " + num(opt.eps));
  const size_t gpc = std::max<size_t>(1, (k * kChunkItems) / n);  // groups per chunk
  const size_t chunks = (k + gpc - 1) / gpc;
  unsigned threads = n < 2 * kChunkItems ? 1 : opt.threads;
  parallel_chunks(chunks, threads, [&](size_t c) {
    size_t g0 = c * gpc, g1 = std::min(k, g0 + gpc);
    if (groups.offsets) {
      ragged_groups(rewards, out, groups.offsets, g0, g1, opt);
      return;
    }
    switch (groups.size) {
      case 2: fixed_groups<T, 2>(rewards, out, g0, g1, 2, opt); break;
      case 4: fixed_groups<T, 4>(rewards, out, g0, g1, 4, opt); break;
      case 8: fixed_groups<T, 8>(rewards, out, g0, g1, 8, opt); break;
      case 16: fixed_groups<T, 16>(rewards, out, g0, g1, 16, opt); break;
      case 32: fixed_groups<T, 32>(rewards, out, g0, g1, 32, opt); break;
      case 64: fixed_groups<T, 64>(rewards, out, g0, g1, 64, opt); break;
      default: fixed_groups<T, 0>(rewards, out, g0, g1, groups.size, opt); break;
    }
  });
}

template void group_advantages<float>(const float*, size_t, const Groups&, const AdvantageOptions&, float*);
template void group_advantages<double>(const double*, size_t, const Groups&, const AdvantageOptions&, double*);

// ---------------------------------------------------------------------------------------------
void ptr_rewards(const double* correct, const double* format, const double* judge, size_t n, const Groups& groups,
                 const PtrOptions& opt, double* reasoning, double* trust, double* reward) {
  const size_t k = validate_groups(groups, n, "correct");
  std::vector<double> w = opt.judge_weights;
  const options::Spec& ws = options::spec(options::kPtr, "judgeWeights");
  if (w.empty()) w.assign(size_t(ws.dflt), 1.0 / ws.dflt);  // equal weights
  const size_t dims = w.size();
  if (!(double(dims) >= ws.min && double(dims) <= ws.max)) {
    invalid("judgeWeights must have " + options::expected_text(ws) + "; got " + std::to_string(dims) + " entries");
  }
  double wsum = 0.0;
  for (size_t j = 0; j < dims; ++j) {
    if (!(w[j] >= 0.0) || !std::isfinite(w[j])) {
      invalid("judgeWeights[" + std::to_string(j) + "] must be a finite number >= 0; got " + num(w[j]));
    }
    wsum += w[j];
  }
  if (std::fabs(wsum - 1.0) > options::kWeightSumTolerance) invalid("judgeWeights must sum to 1; they sum to " + num(wsum));
  for (double a : {opt.alpha_format, opt.alpha_outcome, opt.alpha_reasoning}) {
    if (!std::isfinite(a)) invalid("alpha weights must be finite; got " + num(a));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(correct[i] == 0.0 || correct[i] == 1.0)) {
      invalid("correct[" + std::to_string(i) + "] must be 0 or 1 (the outcome reward); got " + num(correct[i]));
    }
    if (!std::isfinite(format[i])) invalid("format[" + std::to_string(i) + "] must be finite; got " + num(format[i]));
    double s = 0.0;
    for (size_t j = 0; j < dims; ++j) {
      double v = judge[i * dims + j];
      if (!(v >= 1.0 && v <= 5.0)) {
        invalid("judgeScores[" + std::to_string(i * dims + j) + "] (response " + std::to_string(i) + ", dimension " +
                std::to_string(j) + ") must be a score in [1, 5]; got " + num(v));
      }
      s += w[j] * v;
    }
    reasoning[i] = s / 5.0;
  }
  for (size_t g = 0; g < k; ++g) {
    size_t b = groups.offsets ? groups.offsets[g] : g * groups.size;
    size_t e = groups.offsets ? groups.offsets[g + 1] : b + groups.size;
    double sc = 0.0, sw = 0.0;
    size_t nc = 0, nw = 0;
    for (size_t i = b; i < e; ++i) {
      if (correct[i] == 1.0) {
        sc += reasoning[i];
        ++nc;
      } else {
        sw += reasoning[i];
        ++nw;
      }
    }
    double tau = 1.0;
    if (nc > 0 && nw > 0) {
      double mc = sc / double(nc), mw = sw / double(nw);
      if (mc < mw) tau = std::exp(mc - mw);
    }
    trust[g] = tau;
    for (size_t i = b; i < e; ++i) {
      const double tf = opt.alpha_format * format[i], to = opt.alpha_outcome * correct[i];
      const double tr = opt.reasoning_enabled ? opt.alpha_reasoning * tau * reasoning[i] : 0.0;
      const double r = tf + to + tr;
      // Finite weights and rewards can still overflow (alpha 1e308 × format 10): refuse, naming
      // the factor, instead of returning an infinite reward.
      if (!std::isfinite(r)) {
        std::string why;
        if (!std::isfinite(tf)) {
          why = "alpha.format = " + num(opt.alpha_format) + " × format[" + std::to_string(i) + "] = " + num(format[i]);
        } else if (!std::isfinite(tr)) {
          why = "alpha.reasoning = " + num(opt.alpha_reasoning) + " × trust × reasoning reward " + num(reasoning[i]);
        } else {
          why = "alpha = (" + num(opt.alpha_format) + ", " + num(opt.alpha_outcome) + ", " + num(opt.alpha_reasoning) +
                ") with format[" + std::to_string(i) + "] = " + num(format[i]);
        }
        invalid("reward[" + std::to_string(i) + "] overflows to " + num(r) + ": " + why +
                "; the alpha weights and format rewards must keep the total within the float64 range");
      }
      reward[i] = r;
    }
  }
}

}  // namespace et::grpo
