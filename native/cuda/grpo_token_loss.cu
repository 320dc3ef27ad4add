// The token loss on the GPU: forward, gradient and metrics in one pass over the tokens
// (native/grpo/token_term.hpp compiled for the device).
#include "grpo_cuda_common.cuh"

namespace et::cuda {
using namespace grpo_impl;
namespace {

__global__ void token_loss_kernel(const float* __restrict__ lp, const float* __restrict__ old,
                                  const float* __restrict__ ref, const float* __restrict__ adv, bool adv_per_token,
                                  const float* __restrict__ mask, DeviceLayout L, const float* __restrict__ scale,
                                  float lo, float hi, float c, float beta, int kl, float* __restrict__ grad,
                                  double* __restrict__ partials, ErrKey* err) {
  double acc[kMetrics] = {0, 0, 0, 0, 0, 0, 0, 0};
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < L.tokens; t += stride) {
    const size_t b = seq_of(L, t);
    const float A = adv_per_token ? adv[t] : adv[b];
    const float m = mask ? mask[t] : 1.f;
    const float l = lp[t], o = old[t];
    const float r = kl != kKlNone ? ref[t] : l;
    // x − x is 0 for finite x, NaN otherwise: one test catches NaN and ±Inf in any input.
    if (!((l - l) + (o - o) + (r - r) + (A - A) + (m - m) == 0.f) || m < 0.f) flag(err, kErrNonFinite, t);
    Term tt = token_term(l, o, r, A, lo, hi, c, beta, kl);
    const float w = m * scale[b];
    const float wl = w * tt.loss, wg = w * tt.grad;
    if (!((wl - wl) + (wg - wg) == 0.f)) flag(err, kErrOverflow, t);  // finite inputs, overflowing term
    if (grad) grad[t] = wg;
    acc[0] += double(w) * tt.loss;
    acc[1] += m;
    acc[2] += m * tt.low;
    acc[3] += m * tt.high;
    acc[4] += m * tt.dual;
    acc[5] += double(m) * tt.kl;
    acc[6] += double(m) * tt.rho;
  }
  __shared__ double out[kMetrics];
  block_reduce_metrics(acc, out);
  if (threadIdx.x < kMetrics) partials[size_t(blockIdx.x) * kMetrics + threadIdx.x] = out[threadIdx.x];
}

}  // namespace

namespace grpo_impl {

// Enqueues the whole token loss (no host synchronisation).
void enqueue_token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                        bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossParams& opt,
                        float* grad, LossWorkspace& w) {
  compute_scales_into(mask, layout, opt, w);
  const unsigned grid = token_grid(layout.tokens);
  token_loss_kernel<<<grid, kRedBlock>>>(logp, old_logp, ref_logp, adv, adv_per_token, mask, layout, w.scale.ptr,
                                         opt.term.lo, opt.term.hi, opt.term.c, opt.term.beta, opt.kl, grad, w.partials.ptr, w.guard.dev.ptr);
  check(cudaGetLastError(), "launching the token-loss kernel");
  enqueue_finish_metrics(w, grid);
}

}  // namespace grpo_impl

LossMetrics token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                       bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossOptions& opt,
                       float* grad) {
  validate_layout(layout);
  et::grpo::validate_loss_options(opt);
  if (opt.beta != 0 && !ref_logp) throw Error(ErrorCode::InvalidArg, "refLogp is required when beta > 0");
  LossWorkspace w(layout.batch, token_grid(layout.tokens));
  enqueue_token_loss(logp, old_logp, ref_logp, adv, adv_per_token, mask, layout, to_params(opt), grad, w);
  return w.read("token loss inputs");
}

}  // namespace et::cuda
