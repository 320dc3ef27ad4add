// The softmax argument of one logit, shared by the CPU kernels (logits_loss.cpp) and the CUDA
// kernels (native/cuda/grpo_logits_loss.cu) so both round it the same way.
//
//   d = (z − z_max)·(1/T)
//
// The maximum is subtracted before scaling, not after (z/T − max(z/T)): for finite z the result
// is ≤ 0, exactly 0 at the maximum, and at worst −inf when the difference overflows (logits of
// ±3.4e38), never NaN. Scaling first can overflow z/T to ±inf (inf − inf = NaN), and lets the
// compiler contract z·(1/T) − m into an FMA whose unrounded product makes d > 0 at the maximum
// (e^d then blows up for large logits). A subtraction followed by a product has no FMA form.
#pragma once

#if defined(__CUDACC__)
#define ET_GRPO_HD __host__ __device__ __forceinline__
#else
#define ET_GRPO_HD inline
#endif

namespace et::grpo {

template <class C>
ET_GRPO_HD C scaled_logit(C z, C z_max, C inv_t) {
  return (z - z_max) * inv_t;
}

// e^d for a softmax argument d ≤ 0 (possibly −inf): arguments below −87 give exactly 0 (e^−87 is
// already under float32's normal range); the clamped argument is what the entropy sum multiplies,
// so e·d is 0·(−87) = 0 rather than 0·(−inf) = NaN.
inline constexpr float kExpFloor = -87.0f;

template <class C>
ET_GRPO_HD C clamp_softmax_arg(C d) {
  return d < C(kExpFloor) ? C(kExpFloor) : d;
}

}  // namespace et::grpo
