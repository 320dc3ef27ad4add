// The GRPO option tables (native/grpo/options.hpp) as the C++ core sees them: the structs take
// their defaults from the tables, the texts and checks derive from the rows, and the aggregation
// formula shared with the CUDA kernels (token_term.hpp) gives each aggregation's weight.
#include <cmath>
#include <string>

#include "../grpo/advantage_scale.hpp"
#include "../grpo/grpo.hpp"
#include "../grpo/token_term.hpp"
#include "check.hpp"

using namespace et::grpo;
namespace o = et::grpo::options;

int main() {
  // The paper's defaults (docs/formulas.md#paper-settings), read by the structs from the table (issue #15).
  const LossOptions l;
  CHECK(l.beta == 0.04);
  CHECK(l.clip_c == 3);
  CHECK(l.clip_low == 0.2 && l.clip_high == 0.2);
  CHECK(l.kl == KlKind::K3 && l.agg == Agg::TokenMean);
  CHECK(l.norm_len == 0);  // derived by the resolver from the layout
  CHECK(!TokenLossInputs<float>{}.adv_per_token && !LogitsLossInputs{}.adv_per_token);
  const AdvantageOptions a;
  CHECK(a.mode == AdvMode::Grpo && a.std == StdKind::Unbiased && a.eps == 1e-6 && a.singleton == Singleton::Zero);
  const PtrOptions p;
  CHECK(p.alpha_format == 0.3 && p.alpha_outcome == 1.0 && p.alpha_reasoning == 0.5 && p.reasoning_enabled);
  CHECK(LogitsOptions{}.temperature == 1.0);

  // Enum rows list their choices in the order of the C++ enums.
  CHECK(o::choice_index(o::spec(o::kLoss, "kl"), "k1") == int(KlKind::K1));
  CHECK(o::choice_index(o::spec(o::kLoss, "kl"), "k3") == int(KlKind::K3));
  CHECK(o::choice_index(o::spec(o::kLoss, "agg"), "seq-mean-token-sum-norm") == int(Agg::SeqMeanTokenSumNorm));
  CHECK(o::choice_index(o::spec(o::kAdvantages, "mode"), "rloo") == int(AdvMode::Rloo));
  CHECK(o::choice_index(o::spec(o::kAdvantages, "mode"), "ppo") == -1);
  CHECK(o::choice_index(o::spec(o::kAdvantages, "mode"), "grp") == -1);

  // Texts and checks from the ranges.
  CHECK(o::expected_text(o::spec(o::kLoss, "clipLow")) == "a number in [0, 1)");
  CHECK(o::expected_text(o::spec(o::kLoss, "beta")) == "a finite number >= 0");
  CHECK(o::expected_text(o::spec(o::kLoss, "normLen")) == "a finite number > 0");
  CHECK(o::expected_text(o::spec(o::kLogits, "temperature")) == "a number in [0.0001, 10000]");
  CHECK(o::expected_text(o::spec(o::kLoss, "kl")) == "one of 'k1', 'abs', 'k2', 'k3'");
  CHECK(o::accepts(o::spec(o::kLoss, "clipC"), 0));  // nullable: 0 is off
  CHECK(!o::accepts(o::spec(o::kLoss, "clipC"), 1));
  CHECK(o::accepts(o::spec(o::kLoss, "clipC"), 1.5));
  CHECK(!o::accepts(o::spec(o::kLoss, "clipLow"), 1));
  CHECK(!o::accepts(o::spec(o::kLoss, "beta"), NAN));
  CHECK(!o::accepts(o::spec(o::kLoss, "threads"), 1.5));

  CHECK(o::expected_text(o::spec(o::kLoss, "clipC")) == "a number > 1, or null for no dual clip");
  CHECK(o::expected_text(o::spec(o::kPtr, "judgeWeights")) == "1..8 finite weights >= 0 summing to 1");

  // The aggregation weights (CPU and GPU): token-mean divides by Σ mask, seq-mean-token-mean by
  // B·Σ_b mask, seq-mean-token-sum by B, the norm variant by normLen.
  CHECK(aggregation_scale(Agg::TokenMean, 2, 0, 8, 0) == 1.0 / 8);
  CHECK(aggregation_scale(Agg::TokenMean, 2, 0, 0, 0) == 1.0);
  CHECK(aggregation_scale(Agg::SeqMeanTokenMean, 2, 4, 0, 0) == 1.0 / 8);
  CHECK(aggregation_scale(Agg::SeqMeanTokenSum, 4, 0, 0, 0) == 0.25);
  CHECK(aggregation_scale(Agg::SeqMeanTokenSumNorm, 4, 0, 0, 5) == 0.2);

  // The advantage map a = (r − mean)·scale (CPU and GPU): rewards {1, 2, 3}, mean 2, ss 2.
  CHECK(advantage_scale(AdvMode::Grpo, true, 0, 3, 2) == 1.0);                       // std 1
  CHECK(advantage_scale(AdvMode::Grpo, false, 0, 3, 2) == 1.0 / std::sqrt(2.0 / 3));  // population
  CHECK(advantage_scale(AdvMode::DrGrpo, true, 1e-6, 3, 2) == 1.0);
  CHECK((3.0 - 2.0) * advantage_scale(AdvMode::Rloo, true, 1e-6, 3, 2) == 3.0 - (1.0 + 2.0) / 2);  // r − mean of the others

  // The KL code and the term's constants from the options.
  CHECK(kl_code(LossOptions{}) == kKlK3);
  LossOptions nokl;
  nokl.beta = 0;
  CHECK(kl_code(nokl) == kKlNone);
  LossOptions off;
  off.clip_c = 0;
  CHECK(std::isinf(term_params<float>(off).c) && term_params<double>(l).c == 3.0);
  return check_report("grpo_options");
}
