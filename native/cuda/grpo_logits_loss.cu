// The fused logits loss on the GPU: log-softmax statistics, entropy, the token loss and the
// gradient with respect to the logits (fp32 or bf16), one block or one cluster per row.
#include <cooperative_groups.h>
#include <cuda_bf16.h>

#include "grpo_cuda_common.cuh"

namespace cg = cooperative_groups;

namespace et::cuda {
using namespace grpo_impl;
namespace {

template <class T>
__device__ __forceinline__ float load_logit(const T* p, size_t i);
template <>
__device__ __forceinline__ float load_logit<float>(const float* p, size_t i) {
  return p[i];
}
template <>
__device__ __forceinline__ float load_logit<__nv_bfloat16>(const __nv_bfloat16* p, size_t i) {
  return __bfloat162float(p[i]);
}
template <class T>
__device__ __forceinline__ void store_grad(T* p, size_t i, float v);
template <>
__device__ __forceinline__ void store_grad<float>(float* p, size_t i, float v) {
  p[i] = v;
}
template <>
__device__ __forceinline__ void store_grad<__nv_bfloat16>(__nv_bfloat16* p, size_t i, float v) {
  p[i] = __float2bfloat16_rn(v);
}

// Online softmax statistics over the raw logits z (as the CPU's row_stats): m = max z,
// s = Σ e^d, a = Σ e^d·d with d = scaled_logit(z, m, 1/T) ≤ 0 (native/grpo/scaled_logit.hpp).
// Subtracting the raw max before scaling keeps d finite-or-−inf for logits of any magnitude and
// any temperature in range: no inf − inf, no NaN. `a` is taken about the running max: the
// entropy log s − a/s then has no cancellation between two large terms.
struct Stats {
  float m, s, a;
};
// e^d for d ≤ 0: 0 below the exp floor; dc is the clamped argument (finite) for the `a` sum.
__device__ __forceinline__ float softmax_exp(float d, float& dc) {
  dc = et::grpo::clamp_softmax_arg(d);
  return d < et::grpo::kExpFloor ? 0.f : __expf(dc);
}
__device__ __forceinline__ Stats stats_add(Stats st, float z, float inv_t) {
  if (z > st.m) {
    if (st.s > 0.f) {
      float dc;
      const float r = softmax_exp(et::grpo::scaled_logit(st.m, z, inv_t), dc);
      st.a = r * (st.a + dc * st.s);
      st.s = st.s * r + 1.f;
    } else {
      st.a = 0.f, st.s = 1.f;  // the first element adds e^0·0
    }
    st.m = z;
  } else {
    float dc;
    const float e = softmax_exp(et::grpo::scaled_logit(z, st.m, inv_t), dc);
    st.s += e;
    st.a += e * dc;
  }
  return st;
}
__device__ __forceinline__ Stats stats_merge(Stats p, Stats q, float inv_t) {
  if (q.m == -INFINITY) return p;
  if (p.m == -INFINITY) return q;
  const float m = fmaxf(p.m, q.m);
  float dp, dq;
  const float rp = softmax_exp(et::grpo::scaled_logit(p.m, m, inv_t), dp);
  const float rq = softmax_exp(et::grpo::scaled_logit(q.m, m, inv_t), dq);
  return {m, p.s * rp + q.s * rq, rp * (p.a + dp * p.s) + rq * (q.a + dq * q.s)};
}
__device__ Stats block_stats(Stats st, float inv_t) {
  __shared__ Stats sh[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    Stats q{__shfl_down_sync(0xffffffffu, st.m, o), __shfl_down_sync(0xffffffffu, st.s, o),
            __shfl_down_sync(0xffffffffu, st.a, o)};
    st = stats_merge(st, q, inv_t);
  }
  if (lane == 0) sh[warp] = st;
  __syncthreads();
  if (threadIdx.x == 0) {
    Stats t = sh[0];
    for (int w = 1; w < int(blockDim.x / 32); ++w) t = stats_merge(t, sh[w], inv_t);
    sh[0] = t;
  }
  __syncthreads();
  Stats r = sh[0];
  __syncthreads();
  return r;
}

struct RowArgs {
  const int32_t* labels;
  const float *old, *ref, *adv, *mask, *scale;
  DeviceLayout layout;
  float lo, hi, c, beta, inv_t;
  int kl;
  size_t vocab;
  float *logp_out, *entropy_out;
  double* row_metrics;  // rows × kMetrics
  ErrKey* err;
};

// From the row's statistics: ℓ, entropy, the token term; writes the per-row outputs and
// returns g_ℓ (the loss gradient with respect to ℓ, weights included) and log s (the
// probabilities are e^{d − log s}).
__device__ float2 finish_row(const RowArgs& a, size_t row, Stats st, float z_label) {
  const float log_s = __logf(st.s);  // s ≥ 1
  const float ent = fmaxf(log_s - st.a / st.s, 0.f);  // ≥ 0, as on the CPU
  // A log-probability is never > 0; −inf (a label logit ~3e38 below the max) is refused.
  const float lp = fminf(et::grpo::scaled_logit(z_label, st.m, a.inv_t) - log_s, 0.f);
  if (!(lp >= -FLT_MAX)) flag(a.err, kErrOverflow, row);
  const size_t b = seq_of(a.layout, row);
  const float m = a.mask ? a.mask[row] : 1.f;
  const float A = a.adv[row];
  const float old = a.old[row];
  const float ref = a.kl != kKlNone ? a.ref[row] : lp;
  if (!((old - old) + (ref - ref) + (A - A) + (m - m) + (st.s - st.s) == 0.f) || m < 0.f) flag(a.err, kErrNonFinite, row);
  Term t = token_term(lp, old, ref, A, a.lo, a.hi, a.c, a.beta, a.kl);
  const float w = m * a.scale[b];
  if (a.logp_out) a.logp_out[row] = lp;
  if (a.entropy_out) a.entropy_out[row] = ent;
  double* rm = a.row_metrics + row * kMetrics;
  rm[0] = double(w) * t.loss, rm[1] = m, rm[2] = m * t.low, rm[3] = m * t.high, rm[4] = m * t.dual;
  rm[5] = double(m) * t.kl, rm[6] = double(m) * t.rho, rm[7] = double(m) * ent;
  const float g = w * t.grad;
  if (!((g - g) + (t.loss - t.loss) == 0.f) || !(fabsf(g * a.inv_t) <= FLT_MAX)) flag(a.err, kErrOverflow, row);
  return make_float2(g, log_s);
}

// Any architecture: one block per row; the gradient pass reads the row a second time.
template <class T>
__global__ void logits_rows_kernel(const T* __restrict__ logits, RowArgs a, T* grad) {
  const size_t row = blockIdx.x;
  const T* z = logits + row * a.vocab;
  Stats st{-INFINITY, 0.f, 0.f};
  bool bad = false;
  for (size_t i = threadIdx.x; i < a.vocab; i += blockDim.x) {
    float x = load_logit(z, i);
    bad |= !(x - x == 0.f);
    if (x - x == 0.f) st = stats_add(st, x, a.inv_t);
  }
  if (bad) flag(a.err, kErrNonFinite, row);
  st = block_stats(st, a.inv_t);
  const float row_max = st.m;
  __shared__ float2 g_logz;
  if (threadIdx.x == 0) {
    int32_t lab = a.labels[row];
    if (lab < 0 || size_t(lab) >= a.vocab) {
      flag(a.err, kErrLabel, row);
      lab = 0;
    }
    g_logz = finish_row(a, row, st, load_logit(z, size_t(lab)));
  }
  __syncthreads();
  if (!grad) return;
  const float g = g_logz.x, log_s = g_logz.y;
  const int32_t lab = a.labels[row];
  T* out = grad + row * a.vocab;
  for (size_t i = threadIdx.x; i < a.vocab; i += blockDim.x) {
    float dc;
    float p = softmax_exp(et::grpo::scaled_logit(load_logit(z, i), row_max, a.inv_t) - log_s, dc);
    store_grad(out, i, g * ((int64_t(i) == lab ? 1.f : 0.f) - p) * a.inv_t);
  }
}

// sm_90: a cluster of kCluster CTAs shares one row. Each CTA stages its slice of the row in
// shared memory, so the logits are read from HBM once and the gradient written once; the
// CTAs exchange their partial statistics through distributed shared memory.
constexpr int kCluster = 8;

template <class T>
__global__ void logits_cluster_kernel(const T* __restrict__ logits, RowArgs a, T* grad, size_t slice) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  cg::cluster_group cluster = cg::this_cluster();
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* tile = reinterpret_cast<T*>(smem_raw);
  __shared__ Stats part;
  __shared__ float label_x;
  const unsigned rank = cluster.block_rank();
  const size_t row = blockIdx.x / kCluster;
  const size_t i0 = size_t(rank) * slice;
  const size_t i1 = min(a.vocab, i0 + slice);
  const T* z = logits + row * a.vocab;
  int32_t lab = a.labels[row];
  const bool lab_ok = lab >= 0 && size_t(lab) < a.vocab;
  if (!lab_ok) lab = 0;
  Stats st{-INFINITY, 0.f, 0.f};
  bool bad = false;
  for (size_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    T v = z[i];
    tile[i - i0] = v;
    float x = load_logit(&v, 0);
    bad |= !(x - x == 0.f);
    if (x - x == 0.f) st = stats_add(st, x, a.inv_t);
  }
  if (bad) flag(a.err, kErrNonFinite, row);
  st = block_stats(st, a.inv_t);
  if (threadIdx.x == 0) {
    part = st;
    if (size_t(lab) >= i0 && size_t(lab) < i1) label_x = load_logit(tile, size_t(lab) - i0);
  }
  cluster.sync();
  __shared__ float3 g_logz;  // g, log s, row max
  if (threadIdx.x == 0) {
    Stats t{-INFINITY, 0.f, 0.f};
    for (int r = 0; r < kCluster; ++r) t = stats_merge(t, *cluster.map_shared_rank(&part, r), a.inv_t);
    const unsigned owner = unsigned(size_t(lab) / slice);
    const float xl = *cluster.map_shared_rank(&label_x, owner);
    if (rank == 0) {
      if (!lab_ok) flag(a.err, kErrLabel, row);
      const float2 gl = finish_row(a, row, t, xl);
      g_logz = make_float3(gl.x, gl.y, t.m);
    } else {
      // Every CTA needs g and log s; only rank 0 writes the row's outputs.
      const float log_s = __logf(t.s);
      const float lp = fminf(et::grpo::scaled_logit(xl, t.m, a.inv_t) - log_s, 0.f);
      const size_t b = seq_of(a.layout, row);
      const float m = a.mask ? a.mask[row] : 1.f;
      const float ref = a.kl != kKlNone ? a.ref[row] : lp;
      Term tt = token_term(lp, a.old[row], ref, a.adv[row], a.lo, a.hi, a.c, a.beta, a.kl);
      g_logz = make_float3(m * a.scale[b] * tt.grad, log_s, t.m);
    }
  }
  // No CTA may leave (freeing its shared memory) while another still reads it.
  cluster.sync();
  if (!grad) return;
  const float g = g_logz.x, log_s = g_logz.y, row_max = g_logz.z;
  T* out = grad + row * a.vocab;
  for (size_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    float dc;
    float p = softmax_exp(et::grpo::scaled_logit(load_logit(tile, i - i0), row_max, a.inv_t) - log_s, dc);
    store_grad(out, i, g * ((int64_t(i) == lab ? 1.f : 0.f) - p) * a.inv_t);
  }
#endif
}

int device_major() {
  int dev = 0, major = 0;
  check(cudaGetDevice(&dev), "querying the device");
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "querying the compute capability");
  return major;
}

template <class T>
void launch_logits(const T* logits, RowArgs& a, size_t rows, T* grad) {
  const size_t slice = ((a.vocab + kCluster - 1) / kCluster + 7) / 8 * 8;
  const size_t smem = slice * sizeof(T);
  if (device_major() >= 9 && a.vocab >= 8192 && smem <= 200 * 1024) {
    auto kernel = logits_cluster_kernel<T>;
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)), "configuring shared memory");
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(unsigned(rows * kCluster));
    cfg.blockDim = dim3(512);
    cfg.dynamicSmemBytes = smem;
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeClusterDimension;
    attr[0].val.clusterDim.x = kCluster;
    attr[0].val.clusterDim.y = 1;
    attr[0].val.clusterDim.z = 1;
    cfg.attrs = attr;
    cfg.numAttrs = 1;
    check(cudaLaunchKernelEx(&cfg, kernel, logits, a, grad, slice), "launching the logits-loss cluster kernel");
  } else {
    logits_rows_kernel<T><<<unsigned(rows), 512>>>(logits, a, grad);
    check(cudaGetLastError(), "launching the logits-loss kernel");
  }
}

void validate_logits(size_t rows, size_t vocab, const DeviceLayout& layout, const LogitsOptions& opt,
                     const float* ref_logp) {
  validate_layout(layout);
  et::grpo::validate_loss_options(opt.loss);
  if (rows == 0 || vocab == 0) throw Error(ErrorCode::InvalidArg, "empty batch: no logits");
  if (layout.tokens != rows) throw Error(ErrorCode::InvalidArg, "the sequence layout must cover every row of logits");
  et::grpo::detail::check_temperature(opt.temperature);
  if (opt.loss.beta != 0 && !ref_logp) throw Error(ErrorCode::InvalidArg, "refLogp is required when beta > 0");
}

}  // namespace

namespace grpo_impl {

void enqueue_logits_loss(const void* logits, bool bf16, size_t rows, size_t vocab, const int32_t* labels,
                         const float* old_logp, const float* ref_logp, const float* adv, const float* mask,
                         const DeviceLayout& layout, const LossParams& opt, double temperature, float* logp_out,
                         float* entropy_out, void* grad, LossWorkspace& w) {
  compute_scales_into(mask, layout, opt, w);
  RowArgs a{labels, old_logp, ref_logp, adv, mask, w.scale.ptr, layout,
            opt.term.lo, opt.term.hi, opt.term.c, opt.term.beta, float(1.0 / temperature), opt.kl, vocab, logp_out, entropy_out, w.partials.ptr, w.guard.dev.ptr};
  if (bf16) {
    launch_logits(static_cast<const __nv_bfloat16*>(logits), a, rows, static_cast<__nv_bfloat16*>(grad));
  } else {
    launch_logits(static_cast<const float*>(logits), a, rows, static_cast<float*>(grad));
  }
  enqueue_finish_metrics(w, rows);
}

}  // namespace grpo_impl

LossMetrics logits_loss(const void* logits, bool bf16, size_t rows, size_t vocab, const int32_t* labels,
                        const float* old_logp, const float* ref_logp, const float* adv, const float* mask,
                        const DeviceLayout& layout, const LogitsOptions& opt, float* logp_out,
                        float* entropy_out, void* grad) {
  validate_logits(rows, vocab, layout, opt, ref_logp);
  LossWorkspace w(layout.batch, rows);
  enqueue_logits_loss(logits, bf16, rows, vocab, labels, old_logp, ref_logp, adv, mask, layout, to_params(opt.loss),
                      opt.temperature, logp_out, entropy_out, grad, w);
  return w.read("logits loss inputs");
}

}  // namespace et::cuda
