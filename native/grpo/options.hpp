// The GRPO option sets (docs/formulas.md#grpo-and-grpo-ptr): the one place where each option's key, default, range and
// meaning are written. The C++ structs in grpo.hpp take their defaults from these tables, the
// bindings convert JS objects with them (bindings/grpo_options.hpp, for the CPU and the CUDA
// entry alike) and export them as plain data (`grpoOptionSpecs`), from which src/grpo-options.ts
// resolves and validates the options of every TypeScript entry. Adding an option: one row here,
// the field it sets in grpo.hpp, the kernel that uses it, and a test.
//
// Defaults chosen where the layers used to disagree (issue #15):
//  - beta 0.04: the paper's KL β (docs/formulas.md#paper-settings), the trainer's default, and tokenLoss's.
//  - clipC 3: the dual clip, on by default (docs/formulas.md#token-loss); null (JS) / 0 (raw) turns it off.
//  - advantagesPer: from the advantages' length, per sequence when it equals the number of
//    sequences (docs/formulas.md#grpo-advantages: advantages are per response), else per token.
//  - normLen: derived from the layout (the padded row length, or the longest ragged sequence),
//    as Dr. GRPO's constant generation budget; 0 (the old CUDA default) is not a valid divisor.
// No Node or CUDA headers: compiled by the C++ core, the bindings and nvcc.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>

namespace et::grpo::options {

enum class Kind {
  Number,   // a finite double within [min, max] (bounds open where flagged)
  Integer,  // an integer within [min, max]
  Enum,     // one of `choices` ('|'-separated, in the order of the C++ enum); default = index
  Bool,     // default 0/1
  Weights,  // an array of finite weights >= 0 summing to 1, min..max entries; default = count of equal weights
};

struct Spec {
  const char* key;  // the JavaScript name (the raw and the public option name)
  Kind kind;
  double dflt;
  double min, max;
  bool min_open, max_open;
  const char* choices;   // Enum only
  bool nullable;         // JS null (raw value 0) turns the option off
  const char* derived;   // non-null: when absent, the value is derived from the call, as this says
  const char* expected;  // error text for a bad value; null: generated from the range
  const char* meaning;
};

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// The accepted softmax temperatures. Outside this range 1/T or z/T stop being meaningful in
// float32 (1/T of 1e-300 overflows; a T of 1e300 flattens every row to the uniform distribution).
inline constexpr double kMinTemperature = 1e-4;
inline constexpr double kMaxTemperature = 1e4;
// Judge dimensions of the PTR reward: the CUDA kernel keeps the weights in a fixed array.
inline constexpr int kMaxJudgeDims = 8;
// How far from 1 the judge weights' sum may be.
inline constexpr double kWeightSumTolerance = 1e-6;

// clang-format off
inline constexpr Spec kAdvantages[] = {
  {"mode", Kind::Enum, 0, 0, 0, false, false, "grpo|dr_grpo|rloo", false, nullptr, nullptr,
   "'grpo': (r − mean)/(std + eps); 'dr_grpo': r − mean; 'rloo': r − mean of the others"},
  {"std", Kind::Enum, 0, 0, 0, false, false, "unbiased|population", false, nullptr, nullptr,
   "standard deviation of 'grpo': n − 1 (verl, TRL) or n"},
  {"eps", Kind::Number, 1e-6, 0, kInf, false, false, nullptr, false, nullptr, nullptr,
   "added to the std, outside the square root"},
  {"singleton", Kind::Enum, 0, 0, 0, false, false, "zero|raw", false, nullptr, nullptr,
   "a group with one valid reward: advantage 0, or the reward itself"},
  {"threads", Kind::Integer, 0, 0, 1024, false, false, nullptr, false, nullptr, "an integer in 0..1024 (0 = all cores)",
   "worker threads for large inputs (0: all cores)"},
};

inline constexpr Spec kPtr[] = {
  {"alphaFormat", Kind::Number, 0.3, -kInf, kInf, false, false, nullptr, false, nullptr, nullptr, "α_f, weight of the format reward"},
  {"alphaOutcome", Kind::Number, 1.0, -kInf, kInf, false, false, nullptr, false, nullptr, nullptr, "α_o, weight of the outcome reward"},
  {"alphaReasoning", Kind::Number, 0.5, -kInf, kInf, false, false, nullptr, false, nullptr, nullptr, "α_t, weight of the trust-weighted reasoning reward"},
  {"judgeWeights", Kind::Weights, 4, 1, kMaxJudgeDims, false, false, nullptr, false, nullptr, nullptr,
   "weights of the judge dimensions (FA, IQ, CC, FS), >= 0 and summing to 1; default equal"},
  {"reasoningEnabled", Kind::Bool, 1, 0, 1, false, false, nullptr, false, nullptr, "a boolean or a ProgressiveGate",
   "whether the reasoning term is on (the progressive gate)"},
};

inline constexpr Spec kLoss[] = {
  {"clipLow", Kind::Number, 0.2, 0, 1, false, true, nullptr, false, nullptr, nullptr, "ε_low of the ratio clip"},
  {"clipHigh", Kind::Number, 0.2, 0, kInf, false, false, nullptr, false, nullptr, nullptr, "ε_high of the ratio clip (DAPO clip-higher: 0.28)"},
  {"clipC", Kind::Number, 3, 1, kInf, true, false, nullptr, true, nullptr, "a number > 1, or null for no dual clip",
   "dual-clip constant c for A < 0; null: off"},
  {"beta", Kind::Number, 0.04, 0, kInf, false, false, nullptr, false, nullptr, nullptr,
   "KL coefficient β (the paper's); 0 drops the KL term and refLogp may be omitted"},
  {"kl", Kind::Enum, 3, 0, 0, false, false, "k1|abs|k2|k3", false, nullptr, nullptr, "KL estimator (k3: verl's clamped low-variance KL)"},
  {"agg", Kind::Enum, 0, 0, 0, false, false, "token-mean|seq-mean-token-mean|seq-mean-token-sum|seq-mean-token-sum-norm", false, nullptr, nullptr,
   "aggregation of the masked per-token losses"},
  {"normLen", Kind::Number, 0, 0, kInf, true, false, nullptr, false, "the padded row length, or the longest ragged sequence", nullptr,
   "divisor of 'seq-mean-token-sum-norm'"},
  {"advantagesPer", Kind::Enum, 0, 0, 0, false, false, "sequence|token", false,
   "from the advantages' length: per sequence when it equals the number of sequences, else per token", nullptr,
   "whether the advantages hold one value per sequence or per token"},
  {"threads", Kind::Integer, 0, 0, 1024, false, false, nullptr, false, nullptr, "an integer in 0..1024 (0 = all cores)",
   "worker threads for large inputs (0: all cores)"},
};

// The logits loss takes every kLoss option and these.
inline constexpr Spec kLogits[] = {
  {"temperature", Kind::Number, 1, kMinTemperature, kMaxTemperature, false, false, nullptr, false, nullptr, nullptr,
   "softmax temperature T: ℓ = log_softmax(z/T)[label]"},
};
// clang-format on

constexpr bool same_key(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

// The row of `key` (a compile error when used in a constant expression with an unknown key).
template <size_t N>
constexpr const Spec& spec(const Spec (&table)[N], const char* key) {
  for (size_t i = 0; i < N; ++i)
    if (same_key(table[i].key, key)) return table[i];
  throw "unknown GRPO option";  // not a constant expression: fails the build
}

template <size_t N>
constexpr double default_of(const Spec (&table)[N], const char* key) {
  return spec(table, key).dflt;
}

// ---------------------------------------------------------------------------------------------
// Checks and texts derived from a row (the TypeScript resolver uses them through the exported
// data, the core's own guards call them directly).

// Whether `v` is accepted by a Number or Integer row (a nullable row also takes 0: off).
inline bool accepts(const Spec& s, double v) {
  if (s.nullable && v == 0) return true;
  if (!std::isfinite(v)) return false;
  if (s.kind == Kind::Integer && v != std::floor(v)) return false;
  if (s.min_open ? !(v > s.min) : !(v >= s.min)) return false;
  if (s.max_open ? !(v < s.max) : !(v <= s.max)) return false;
  return true;
}

// The index of `name` among an Enum row's choices, or -1.
inline int choice_index(const Spec& s, const std::string& name) {
  int i = 0;
  for (const char *p = s.choices, *start = p;; ++p) {
    if (*p == '|' || *p == '\0') {
      if (name.size() == size_t(p - start) && name.compare(0, name.size(), start, size_t(p - start)) == 0) return i;
      if (*p == '\0') return -1;
      ++i, start = p + 1;
    }
  }
}

// What a valid value is, for error messages: "a number in [0, 1)", "a finite number >= 0",
// "one of 'k1', 'abs', 'k2', 'k3'" (or the row's own text).
inline std::string expected_text(const Spec& s) {
  if (s.expected) return s.expected;
  auto g = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  switch (s.kind) {
    case Kind::Enum: {
      std::string out = "one of '";
      for (const char* p = s.choices; *p; ++p) out += *p == '|' ? std::string("', '") : std::string(1, *p);
      return out + "'";
    }
    case Kind::Bool: return "a boolean";
    case Kind::Weights: return g(s.min) + ".." + g(s.max) + " finite weights >= 0 summing to 1";
    default: break;
  }
  const bool lo = std::isfinite(s.min), hi = std::isfinite(s.max);
  if (s.kind == Kind::Integer && lo && hi) return "an integer in " + g(s.min) + ".." + g(s.max);
  const std::string what = s.kind == Kind::Integer ? "an integer" : "a number";
  if (lo && hi) return what + " in " + (s.min_open ? "(" : "[") + g(s.min) + ", " + g(s.max) + (s.max_open ? ")" : "]");
  if (lo) return (s.kind == Kind::Integer ? what : "a finite number") + (s.min_open ? " > " : " >= ") + g(s.min);
  if (hi) return (s.kind == Kind::Integer ? what : "a finite number") + (s.max_open ? " < " : " <= ") + g(s.max);
  return s.kind == Kind::Integer ? what : "a finite number";
}

}  // namespace et::grpo::options
