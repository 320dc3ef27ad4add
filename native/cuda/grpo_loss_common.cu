// What the token and logits losses share on the GPU: the layout check, the per-sequence
// aggregation scales, the final metric reduction and the host-side reading of metrics and errors.
#include "grpo_cuda_common.cuh"

namespace et::cuda {
using namespace grpo_impl;
namespace {

// Ragged layouts: offsets[0] = 0, never decreasing, offsets[batch] = tokens (validate_layout on
// the CPU). Nothing validates device offsets before the kernels read them, so they are checked
// here, in the same stream, and reported as an error; the kernels clamp every range they take
// from the offsets to [0, tokens], so bad offsets never cause an out-of-bounds access.
__global__ void check_layout_kernel(DeviceLayout L, ErrKey* err) {
  for (size_t b = size_t(blockIdx.x) * blockDim.x + threadIdx.x; b <= L.batch; b += size_t(gridDim.x) * blockDim.x) {
    const uint32_t v = L.offsets[b];
    bool bad = b == 0 ? v != 0 : v < L.offsets[b - 1];
    if (b == L.batch && v != L.tokens) bad = true;
    if (bad) flag(err, kErrOffsets, b);
  }
}

// Σ mask per sequence (the aggregation needs it before any token's weight is known).
__global__ void seq_mask_sums_kernel(const float* __restrict__ mask, DeviceLayout L, double* __restrict__ ms) {
  const size_t b = blockIdx.x;
  // Clamped: with invalid offsets (reported by check_layout_kernel) the range stays in bounds.
  const size_t t1 = min(seq_begin(L, b + 1), L.tokens);
  const size_t t0 = min(seq_begin(L, b), t1);
  double s = 0;
  if (mask) {
    for (size_t t = t0 + threadIdx.x; t < t1; t += blockDim.x) s += mask[t];
  } else if (threadIdx.x == 0) {
    s = double(t1 - t0);
  }
  double v[kMetrics] = {s, 0, 0, 0, 0, 0, 0, 0};
  __shared__ double out[kMetrics];
  block_reduce_metrics(v, out);
  if (threadIdx.x == 0) ms[b] = out[0];
}

// Per-sequence weight of a token: loss = Σ_t m_t·scale[b(t)]·L_t (as aggregation_scales on the CPU).
__global__ void scales_kernel(const double* __restrict__ ms, size_t B, int agg, double norm_len, float* __restrict__ scale) {
  __shared__ double total_sh;
  if (agg == kTokenMean) {
    double s = 0;
    for (size_t b = threadIdx.x; b < B; b += blockDim.x) s += ms[b];
    double v[kMetrics] = {s, 0, 0, 0, 0, 0, 0, 0};
    __shared__ double out[kMetrics];
    block_reduce_metrics(v, out);
    if (threadIdx.x == 0) total_sh = out[0];
    __syncthreads();
  }
  for (size_t b = threadIdx.x; b < B; b += blockDim.x) {
    // The CPU's formula (native/grpo/token_term.hpp); ms is read only where the aggregation needs it.
    const double seq = agg == kSeqMeanTokenMean ? ms[b] : 0.0;
    const double total = agg == kTokenMean ? total_sh : 0.0;
    scale[b] = float(et::grpo::aggregation_scale(et::grpo::Agg(agg), double(B), seq, total, norm_len));
  }
}

__global__ void finish_metrics_kernel(const double* __restrict__ partials, size_t count, double* __restrict__ out) {
  double acc[kMetrics] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = threadIdx.x; i < count; i += blockDim.x)
#pragma unroll
    for (int j = 0; j < kMetrics; ++j) acc[j] += partials[i * kMetrics + j];
  __shared__ double sh[kMetrics];
  block_reduce_metrics(acc, sh);
  if (threadIdx.x < kMetrics) out[threadIdx.x] = sh[threadIdx.x];
}

}  // namespace

namespace grpo_impl {

LossMetrics to_metrics(const double* s) {
  LossMetrics m;
  m.loss = s[0];
  m.tokens = s[1];
  if (s[1] > 0) {
    m.clip_frac_low = s[2] / s[1];
    m.clip_frac_high = s[3] / s[1];
    m.clip_frac_dual = s[4] / s[1];
    m.kl_mean = s[5] / s[1];
    m.ratio_mean = s[6] / s[1];
    m.entropy_mean = s[7] / s[1];
  }
  return m;
}

void validate_layout(const DeviceLayout& L) {
  if (L.batch == 0 || L.tokens == 0) throw Error(ErrorCode::InvalidArg, "empty batch: no tokens");
  if (!L.offsets && L.tokens != L.batch * L.length) throw Error(ErrorCode::InvalidArg, "layout tokens != batch x length");
}

void raise_value_error(const ErrFlag& f, const char* what) {
  if (f.kind == kErrNone) return;
  if (f.kind == kErrOffsets) {
    throw Error(ErrorCode::InvalidArg, "offsets are invalid at entry " + std::to_string(f.index) +
                                           " (they must start at 0, never decrease and end at the number of tokens)");
  }
  if (f.kind == kErrLabel) {
    throw Error(ErrorCode::InvalidArg, "labels[" + std::to_string(f.index) + "] is outside the vocabulary");
  }
  if (f.kind == kErrOverflow) {
    throw Error(ErrorCode::InvalidArg, std::string(what) + ": the loss, gradient or log-probability at index " +
                                           std::to_string(f.index) +
                                           " overflows float32 (finite inputs too large or too far apart)");
  }
  throw Error(ErrorCode::InvalidArg, std::string(what) + ": a non-finite value (NaN or Inf) or a negative mask at index " +
                                         std::to_string(f.index));
}

unsigned token_grid(size_t tokens) {
  return unsigned(std::min<size_t>((tokens + 4 * kRedBlock - 1) / (4 * kRedBlock), 8192));
}

void compute_scales_into(const float* mask, const DeviceLayout& L, const LossParams& opt, LossWorkspace& w) {
  if (L.offsets) {
    check_layout_kernel<<<unsigned(std::min<size_t>((L.batch + 1 + kRedBlock - 1) / kRedBlock, 1024)), kRedBlock>>>(
        L, w.guard.dev.ptr);
    check(cudaGetLastError(), "launching the layout check");
  }
  if (opt.agg == kTokenMean || opt.agg == kSeqMeanTokenMean) {
    seq_mask_sums_kernel<<<unsigned(L.batch), kRedBlock>>>(mask, L, w.ms.ptr);
    check(cudaGetLastError(), "launching the mask-sum kernel");
  }
  scales_kernel<<<1, kRedBlock>>>(w.ms.ptr, L.batch, opt.agg, opt.norm_len, w.scale.ptr);
  check(cudaGetLastError(), "launching the scale kernel");
}

void enqueue_finish_metrics(LossWorkspace& w, size_t count) {
  finish_metrics_kernel<<<1, kRedBlock>>>(w.partials.ptr, count, w.sums.ptr);
  check(cudaGetLastError(), "launching the metric reduction");
}

}  // namespace grpo_impl
}  // namespace et::cuda
