// The advantage formula of every mode as one affine map, a = (r − mean)·scale (docs/formulas.md#grpo-advantages), shared
// by the CPU groups (advantages.cpp) and the CUDA advantages kernel (grpo_advantages.cu compiles it as
// __device__, see ET_HD):
//   grpo     scale = 1 / (std + eps), std = sqrt(ss / (cnt − 1)) (unbiased) or sqrt(ss / cnt)
//   dr_grpo  scale = 1
//   rloo     r − (Σ r − r)/(cnt − 1) = (r − mean)·cnt/(cnt − 1)
// for a group of cnt > 1 valid rewards with ss = Σ (r − mean)². (Constant groups, singletons and
// NaN rewards are decided before: they never reach the map.)
#pragma once
#include <math.h>

#include "../common/host_device.hpp"
#include "grpo.hpp"

namespace et::grpo {

ET_HD inline double advantage_scale(AdvMode mode, bool unbiased, double eps, double cnt, double ss) {
  switch (mode) {
    case AdvMode::Grpo: return 1.0 / (sqrt(ss / (unbiased ? cnt - 1.0 : cnt)) + eps);
    case AdvMode::DrGrpo: return 1.0;
    default: return cnt / (cnt - 1.0);
  }
}

}  // namespace et::grpo
