// GRPO and GRPO-PTR math on the CPU (docs/formulas.md#grpo-and-grpo-ptr): group-relative advantages, the
// progressive trust-aware reasoning reward, and the clipped policy-gradient token loss with its
// gradient, from per-token log-probs or fused from logits. No Node headers: the bindings in
// bindings/grpo_bindings.cpp translate types; every failure is an et::Error.
//
// Precision: statistics and losses accumulate in float64. Float32 inputs are computed in
// float32 per element (with a vectorised exp) and summed in float64; float64 inputs are computed
// in float64 throughout (the reference path used by the golden and gradient checks).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "options.hpp"

namespace et::grpo {

// Defaults come from the option tables (options.hpp); the enums list their choices in the same order.
namespace opt_ = options;

// ---------------------------------------------------------------------------------------------
// Groups of responses: either ragged offsets (count+1 entries, offsets[0] = 0, strictly
// increasing, offsets[count] = n) or a fixed group size that divides n.
struct Groups {
  const uint32_t* offsets = nullptr;
  size_t count = 0;  // number of groups when offsets != nullptr
  size_t size = 0;   // fixed group size when offsets == nullptr
};

// Throws ERR_INVALID_ARG naming `what` when the layout does not describe n items in non-empty
// groups. Returns the number of groups.
size_t validate_groups(const Groups& g, size_t n, const char* what);

enum class AdvMode { Grpo, DrGrpo, Rloo };
enum class StdKind { Unbiased, Population };
enum class Singleton { Zero, Raw };

struct AdvantageOptions {
  AdvMode mode = AdvMode(int(opt_::default_of(opt_::kAdvantages, "mode")));
  StdKind std = StdKind(int(opt_::default_of(opt_::kAdvantages, "std")));
  double eps = opt_::default_of(opt_::kAdvantages, "eps");
  Singleton singleton = Singleton(int(opt_::default_of(opt_::kAdvantages, "singleton")));
  unsigned threads = unsigned(opt_::default_of(opt_::kAdvantages, "threads"));
};

// Per-response advantages. NaN rewards get 0 and are left out of their group's statistics;
// ±Inf rewards are an error. A group whose valid rewards are all equal gets exactly 0; a group
// with one valid reward follows opt.singleton. T is float or double.
template <class T>
void group_advantages(const T* rewards, size_t n, const Groups& groups, const AdvantageOptions& opt, T* out);

// ---------------------------------------------------------------------------------------------
struct PtrOptions {
  double alpha_format = opt_::default_of(opt_::kPtr, "alphaFormat");
  double alpha_outcome = opt_::default_of(opt_::kPtr, "alphaOutcome");
  double alpha_reasoning = opt_::default_of(opt_::kPtr, "alphaReasoning");
  // One per judge dimension; empty: the table's default count of equal weights.
  std::vector<double> judge_weights;
  bool reasoning_enabled = opt_::default_of(opt_::kPtr, "reasoningEnabled") != 0;
};

// correct[n] ∈ {0,1}, format[n] finite, judge[n·dims] ∈ [1,5] with dims = judge_weights.size().
// Writes reasoning[n] = Σ_j w_j s_j / 5, trust[groups] and reward[n].
void ptr_rewards(const double* correct, const double* format, const double* judge, size_t n, const Groups& groups,
                 const PtrOptions& opt, double* reasoning, double* trust, double* reward);

// ---------------------------------------------------------------------------------------------
enum class KlKind { K1, Abs, K2, K3 };
enum class Agg { TokenMean, SeqMeanTokenMean, SeqMeanTokenSum, SeqMeanTokenSumNorm };

struct LossOptions {
  double clip_low = opt_::default_of(opt_::kLoss, "clipLow");
  double clip_high = opt_::default_of(opt_::kLoss, "clipHigh");
  double clip_c = opt_::default_of(opt_::kLoss, "clipC");  // dual clip constant (> 1); 0: off
  double beta = opt_::default_of(opt_::kLoss, "beta");     // 0: no KL term (ref log-probs may be absent)
  KlKind kl = KlKind(int(opt_::default_of(opt_::kLoss, "kl")));
  Agg agg = Agg(int(opt_::default_of(opt_::kLoss, "agg")));
  // Divisor of seq-mean-token-sum-norm (> 0). Its default is derived from the layout by the
  // resolver (src/grpo-options.ts); left 0 here, seq-mean-token-sum-norm is refused.
  double norm_len = opt_::default_of(opt_::kLoss, "normLen");
  unsigned threads = unsigned(opt_::default_of(opt_::kLoss, "threads"));
};

// Whether advantages are per token by default (options.hpp: advantagesPer, choice 1 = token).
inline constexpr bool kAdvPerTokenDefault = opt_::default_of(opt_::kLoss, "advantagesPer") == 1;

// Token layout: padded [batch, length] when offsets == nullptr, else ragged sequences
// offsets[b]..offsets[b+1] (batch+1 entries, non-decreasing from 0).
struct SeqLayout {
  const uint32_t* offsets = nullptr;
  size_t batch = 0;
  size_t length = 0;  // padded row length
  size_t tokens() const { return offsets ? size_t(offsets[batch]) : batch * length; }
  size_t begin(size_t b) const { return offsets ? size_t(offsets[b]) : b * length; }
};

enum class MaskType { None, U8, Float };  // Float: the same element type as the log-probs

struct LossMetrics {
  double loss = 0;         // aggregated loss
  double tokens = 0;       // Σ mask
  double clip_frac_low = 0;   // share of masked tokens with A < 0 and ρ < 1 − clip_low
  double clip_frac_high = 0;  // share with A > 0 and ρ > 1 + clip_high
  double clip_frac_dual = 0;  // share with A < 0 where the dual clip −c·A binds
  double kl_mean = 0;      // masked mean of the KL estimator (0 when beta = 0)
  double ratio_mean = 0;   // masked mean of ρ
  double entropy_mean = 0; // masked mean entropy (logits loss only)
};

template <class T>
struct TokenLossInputs {
  const T* logp = nullptr;
  const T* old_logp = nullptr;
  const T* ref_logp = nullptr;  // may be null when beta == 0
  const T* advantages = nullptr;
  bool adv_per_token = kAdvPerTokenDefault;  // else one per sequence
  const void* mask = nullptr;
  MaskType mask_type = MaskType::None;
  SeqLayout layout;
};

// Validates the layout (offsets, empty batch) and all values (non-finite log-probs, advantages,
// masks), then writes grad[t] = ∂loss/∂logp[t] when grad != nullptr. T is float or double.
template <class T>
LossMetrics token_loss(const TokenLossInputs<T>& in, const LossOptions& opt, T* grad);

// ERR_INVALID_ARG for out-of-range clip, beta or normLen values (ranges from options.hpp); the
// CPU and CUDA loss entries both call it.
void validate_loss_options(const LossOptions& o);

// ---------------------------------------------------------------------------------------------
enum class LogitsType { F32, F64, BF16 };

struct LogitsLossInputs {
  const void* logits = nullptr;  // rows·vocab elements of `type`
  LogitsType type = LogitsType::F32;
  size_t rows = 0, vocab = 0;
  const int32_t* labels = nullptr;  // rows entries in [0, vocab)
  const double* old_logp = nullptr;
  const double* ref_logp = nullptr;  // may be null when beta == 0
  const double* advantages = nullptr;
  bool adv_per_token = kAdvPerTokenDefault;
  const double* mask = nullptr;  // null: all ones
  SeqLayout layout;              // groups the rows into sequences for the seq-* aggregations
};

// The accepted softmax temperatures (defined in options.hpp).
using options::kMinTemperature;
using options::kMaxTemperature;

struct LogitsOptions {
  LossOptions loss;
  double temperature = opt_::default_of(opt_::kLogits, "temperature");
};

// ℓ = log_softmax(z / T)[label] (≤ 0), entropy, the token loss on ℓ, and
// ∂loss/∂z = g·(onehot − softmax)/T written to grad (same element type as the logits; may be the
// logits buffer itself for the in-place mode; null: no gradient). One read of each row for the
// statistics (online max and sum-exp), a second read of the cache-resident row for the gradient.
LossMetrics logits_loss(const LogitsLossInputs& in, const LogitsOptions& opt, double* logp_out, double* entropy_out,
                        void* grad);

}  // namespace et::grpo
