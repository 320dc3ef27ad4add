// GRPO and GRPO-PTR math on the CPU (SPEC section 4): group-relative advantages, the
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

namespace et::grpo {

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
  AdvMode mode = AdvMode::Grpo;
  StdKind std = StdKind::Unbiased;
  double eps = 1e-6;  // added to the std, outside the square root
  Singleton singleton = Singleton::Zero;
  unsigned threads = 0;  // 0: hardware concurrency
};

// Per-response advantages. NaN rewards get 0 and are left out of their group's statistics;
// ±Inf rewards are an error. A group whose valid rewards are all equal gets exactly 0; a group
// with one valid reward follows opt.singleton. T is float or double.
template <class T>
void group_advantages(const T* rewards, size_t n, const Groups& groups, const AdvantageOptions& opt, T* out);

// ---------------------------------------------------------------------------------------------
struct PtrOptions {
  double alpha_format = 0.3, alpha_outcome = 1.0, alpha_reasoning = 0.5;
  std::vector<double> judge_weights;  // one per judge dimension; empty: 4 equal weights
  bool reasoning_enabled = true;
};

// correct[n] ∈ {0,1}, format[n] finite, judge[n·dims] ∈ [1,5] with dims = judge_weights.size().
// Writes reasoning[n] = Σ_j w_j s_j / 5, trust[groups] and reward[n].
void ptr_rewards(const double* correct, const double* format, const double* judge, size_t n, const Groups& groups,
                 const PtrOptions& opt, double* reasoning, double* trust, double* reward);

// ---------------------------------------------------------------------------------------------
enum class KlKind { K1, Abs, K2, K3 };
enum class Agg { TokenMean, SeqMeanTokenMean, SeqMeanTokenSum, SeqMeanTokenSumNorm };

struct LossOptions {
  double clip_low = 0.2, clip_high = 0.2;
  double clip_c = 0.0;  // dual clip constant (> 1); 0: off
  double beta = 0.0;    // KL coefficient; 0: no KL term (ref log-probs may be absent)
  KlKind kl = KlKind::K3;
  Agg agg = Agg::TokenMean;
  double norm_len = 0.0;  // divisor of seq-mean-token-sum-norm (> 0)
  unsigned threads = 0;
};

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
  bool adv_per_token = false;   // else one per sequence
  const void* mask = nullptr;
  MaskType mask_type = MaskType::None;
  SeqLayout layout;
};

// Validates the layout (offsets, empty batch) and all values (non-finite log-probs, advantages,
// masks), then writes grad[t] = ∂loss/∂logp[t] when grad != nullptr. T is float or double.
template <class T>
LossMetrics token_loss(const TokenLossInputs<T>& in, const LossOptions& opt, T* grad);

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
  bool adv_per_token = true;
  const double* mask = nullptr;  // null: all ones
  SeqLayout layout;              // groups the rows into sequences for the seq-* aggregations
};

// The accepted softmax temperatures (the only definition; the bindings, the CUDA path and the
// TypeScript validation all defer to it). Outside this range 1/T or z/T stop being meaningful in
// float32 (1/T of 1e-300 overflows; a T of 1e300 flattens every row to the uniform distribution).
inline constexpr double kMinTemperature = 1e-4;
inline constexpr double kMaxTemperature = 1e4;

struct LogitsOptions {
  LossOptions loss;
  double temperature = 1.0;
};

// ℓ = log_softmax(z / T)[label] (≤ 0), entropy, the token loss on ℓ, and
// ∂loss/∂z = g·(onehot − softmax)/T written to grad (same element type as the logits; may be the
// logits buffer itself for the in-place mode; null: no gradient). One read of each row for the
// statistics (online max and sum-exp), a second read of the cache-resident row for the gradient.
LossMetrics logits_loss(const LogitsLossInputs& in, const LogitsOptions& opt, double* logp_out, double* entropy_out,
                        void* grad);

}  // namespace et::grpo
