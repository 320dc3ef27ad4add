// CUDA kernels for GRPO (see grpo_cuda.hpp). Numerics follow native/grpo/token_term.hpp and
// advantages.cpp: float32 per element, float64 for every sum, fixed reduction orders so results
// are identical from run to run on a given device.
#include <cooperative_groups.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "../common/error.hpp"
#include "../grpo/advantage_scale.hpp"
#include "../grpo/detail.hpp"
#include "../grpo/scaled_logit.hpp"
#include "../grpo/token_term.hpp"
#include "cuda_check.hpp"
#include "grpo_cuda.hpp"

namespace cg = cooperative_groups;

namespace et::cuda {
namespace {

// The kernels' parameters, converted once from the core's option structs (to_params below).
enum AdvMode { kGrpo = int(et::grpo::AdvMode::Grpo), kDrGrpo = int(et::grpo::AdvMode::DrGrpo), kRloo = int(et::grpo::AdvMode::Rloo) };

struct AdvParams {
  int mode;
  bool unbiased;
  double eps;
  bool singleton_raw;
};

struct PtrParams {
  double alpha_format, alpha_outcome, alpha_reasoning;
  double weights[et::grpo::options::kMaxJudgeDims];
  int dims;
  bool reasoning_enabled;
};

using et::grpo::kKlNone;
using et::grpo::kKlK1;
using et::grpo::kKlAbs;
using et::grpo::kKlK2;
using et::grpo::kKlK3;
enum AggKind {
  kTokenMean = int(et::grpo::Agg::TokenMean),
  kSeqMeanTokenMean = int(et::grpo::Agg::SeqMeanTokenMean),
  kSeqMeanTokenSum = int(et::grpo::Agg::SeqMeanTokenSum),
  kSeqMeanTokenSumNorm = int(et::grpo::Agg::SeqMeanTokenSumNorm),
};

struct LossParams {
  et::grpo::TermParams<float> term;  // 1 − ε_low, 1 + ε_high, c (+inf: off), β
  int kl;                             // et::grpo::KlCode: kKlNone when beta == 0
  int agg;
  double norm_len;
};

AdvParams to_params(const AdvantageOptions& o) {
  return AdvParams{int(o.mode), o.std == et::grpo::StdKind::Unbiased, o.eps, o.singleton == et::grpo::Singleton::Raw};
}

PtrParams to_params(const PtrOptions& o) {
  PtrParams p{o.alpha_format, o.alpha_outcome, o.alpha_reasoning, {}, 0, o.reasoning_enabled};
  const auto& ws = et::grpo::options::spec(et::grpo::options::kPtr, "judgeWeights");
  const size_t dims = o.judge_weights.empty() ? size_t(ws.dflt) : o.judge_weights.size();
  if (!(double(dims) >= ws.min && double(dims) <= ws.max)) {
    throw Error(ErrorCode::InvalidArg, "judgeWeights must have " + et::grpo::options::expected_text(ws) + "; got " +
                                           std::to_string(dims) + " entries");
  }
  p.dims = int(dims);
  for (size_t j = 0; j < dims; ++j) p.weights[j] = o.judge_weights.empty() ? 1.0 / double(dims) : o.judge_weights[j];
  return p;
}

LossParams to_params(const LossOptions& o) {
  return LossParams{et::grpo::term_params<float>(o), et::grpo::kl_code(o), int(o.agg), o.norm_len};
}

// Device scratch released when it goes out of scope (stream-ordered on the default stream).
template <class T>
struct Scratch {
  T* ptr = nullptr;
  explicit Scratch(size_t count, const char* what) {
    if (count) check(cudaMallocAsync(reinterpret_cast<void**>(&ptr), count * sizeof(T), 0), what);
  }
  ~Scratch() {
    if (ptr) cudaFreeAsync(ptr, 0);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Where a kernel found a bad input: the kind and the smallest offending index. On the device it is
// one 64-bit key, kind << 48 | index, lowered with a single atomicMin: the kind and the index
// read back always belong to the same report (two separate atomics could pair the index of one
// report with the kind of another), and the lowest kind wins, so the kinds are numbered in the
// order the CPU path checks them (layout first, then labels, then values).
using ErrKey = unsigned long long;
enum ErrKind {
  kErrNone = 0,
  kErrOffsets = 1,
  kErrLabel = 2,
  kErrPtrValue = 3,
  kErrRewardInf = 4,
  kErrNonFinite = 5,
  kErrOverflow = 6,  // finite inputs whose result leaves the float32 range
};
constexpr int kErrKindShift = 48;
constexpr ErrKey kErrIndexMask = (ErrKey(1) << kErrKindShift) - 1;
constexpr ErrKey kNoError = ~ErrKey(0);

struct ErrFlag {  // decoded on the host
  unsigned long long index;
  int kind;
};

__device__ void flag(ErrKey* f, int kind, unsigned long long index) {
  atomicMin(f, (ErrKey(kind) << kErrKindShift) | (index < kErrIndexMask ? index : kErrIndexMask));
}

struct ErrGuard {
  Scratch<ErrKey> dev{1, "allocating the error flag"};
  ErrGuard() {
    // 0xff bytes: kNoError, set without a host source buffer.
    check(cudaMemsetAsync(dev.ptr, 0xff, sizeof(ErrKey), 0), "initialising the error flag");
  }
  ErrFlag read() {
    ErrKey k = kNoError;
    check(cudaMemcpy(&k, dev.ptr, sizeof k, cudaMemcpyDeviceToHost), "reading the error flag");
    if (k == kNoError) return ErrFlag{0, kErrNone};
    return ErrFlag{k & kErrIndexMask, int(k >> kErrKindShift)};
  }
};

// ------------------------------------------------------------------------------------------
// Group advantages (+ PTR). One tile of W lanes per group, W a power of two ≤ 32.

struct PtrArgs {
  const float* correct = nullptr;
  const float* format = nullptr;
  const float* judge = nullptr;
  float* reasoning = nullptr;
  float* trust = nullptr;
  float* reward = nullptr;
  PtrParams p;
};

template <int W>
__device__ double tile_sum(double v) {
#pragma unroll
  for (int o = W / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o, W);
  return v;
}
template <int W>
__device__ double tile_min(double v) {
#pragma unroll
  for (int o = W / 2; o > 0; o >>= 1) v = fmin(v, __shfl_xor_sync(0xffffffffu, v, o, W));
  return v;
}
template <int W>
__device__ double tile_max(double v) {
#pragma unroll
  for (int o = W / 2; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o, W));
  return v;
}

__device__ double ptr_reasoning(const PtrArgs& a, size_t i) {
  double s = 0;
  for (int j = 0; j < a.p.dims; ++j) s += a.p.weights[j] * double(a.judge[i * a.p.dims + j]);
  return s / 5.0;
}

template <int W>
__global__ void advantages_kernel(const float* __restrict__ r, size_t n, DeviceGroups g, size_t k, AdvParams opt,
                                  PtrArgs ptr, bool use_ptr, float* __restrict__ adv, ErrKey* err) {
  const size_t tid = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t grp = tid / W;
  const int lane = int(threadIdx.x % W);
  const bool active = grp < k;
  size_t b = 0, e = 0;
  if (active) {
    if (g.offsets) {
      b = g.offsets[grp];
      e = g.offsets[grp + 1];
      if (lane == 0) {
        bool bad = e <= b || e > n || (grp == 0 && b != 0) || (grp == k - 1 && e != n);
        if (bad) flag(err, kErrOffsets, grp);
      }
      if (e > n) e = n;
      if (b > e) b = e;
    } else {
      b = grp * g.size;
      e = b + g.size;
    }
  }
  // PTR: reasoning rewards, trust per group, total reward.
  double tau = 1.0;
  if (use_ptr) {
    double sc = 0, sw = 0, nc = 0, nw = 0;
    for (size_t i = b + lane; i < e; i += W) {
      double c = ptr.correct[i], f = ptr.format[i];
      bool ok = (c == 0.0 || c == 1.0) && isfinite(f);
      for (int j = 0; j < ptr.p.dims; ++j) {
        double s = ptr.judge[i * ptr.p.dims + j];
        ok = ok && s >= 1.0 && s <= 5.0;
      }
      if (!ok) flag(err, kErrPtrValue, i);
      double R = ptr_reasoning(ptr, i);
      if (ptr.reasoning) ptr.reasoning[i] = float(R);
      if (c == 1.0) sc += R, nc += 1;
      else sw += R, nw += 1;
    }
    sc = tile_sum<W>(sc), sw = tile_sum<W>(sw), nc = tile_sum<W>(nc), nw = tile_sum<W>(nw);
    if (nc > 0 && nw > 0) {
      double mc = sc / nc, mw = sw / nw;
      if (mc < mw) tau = exp(mc - mw);
    }
    if (active && lane == 0 && ptr.trust) ptr.trust[grp] = float(tau);
  }
  auto value = [&](size_t i) -> double {
    if (!use_ptr) return double(r[i]);
    double v = ptr.p.alpha_format * double(ptr.format[i]) + ptr.p.alpha_outcome * double(ptr.correct[i]);
    if (ptr.p.reasoning_enabled) v += ptr.p.alpha_reasoning * tau * ptr_reasoning(ptr, i);
    return v;
  };
  // Pass 1: count, sum, min, max over valid (non-NaN) values.
  double cnt = 0, sum = 0, mn = INFINITY, mx = -INFINITY;
  for (size_t i = b + lane; i < e; i += W) {
    double v = value(i);
    if (use_ptr && ptr.reward) ptr.reward[i] = float(v);
    if (isinf(v)) flag(err, kErrRewardInf, i);
    else if (use_ptr && fabs(v) > double(FLT_MAX)) flag(err, kErrOverflow, i);
    if (v == v) cnt += 1, sum += v, mn = fmin(mn, v), mx = fmax(mx, v);
  }
  cnt = tile_sum<W>(cnt), sum = tile_sum<W>(sum), mn = tile_min<W>(mn), mx = tile_max<W>(mx);
  const double mean = cnt > 0 ? sum / cnt : 0.0;
  double ss = 0;
  if (opt.mode == kGrpo) {
    for (size_t i = b + lane; i < e; i += W) {
      double d = value(i) - mean;
      ss += d == d ? d * d : 0.0;
    }
    ss = tile_sum<W>(ss);
  }
  if (!active) return;
  // Constant groups get exactly 0: test max == min, never a tiny std.
  const bool zero = cnt == 0 || (cnt > 1 && mn == mx);
  // The CPU's map (native/grpo/advantage_scale.hpp): a = (r − mean)·scale.
  const double scale =
      cnt > 1 ? et::grpo::advantage_scale(et::grpo::AdvMode(opt.mode), opt.unbiased, opt.eps, cnt, ss) : 0.0;
  for (size_t i = b + lane; i < e; i += W) {
    double v = value(i);
    double a = 0.0;
    if (v == v && !zero) {
      if (cnt == 1) a = opt.singleton_raw ? v : 0.0;
      else a = (v - mean) * scale;
    }
    if (!(fabs(a) <= double(FLT_MAX))) flag(err, kErrOverflow, i);  // rloo/dr_grpo of ±3e38 rewards
    adv[i] = float(a);
  }
}

void launch_advantages(const float* rewards, size_t n, const DeviceGroups& g, const AdvParams& opt, const PtrArgs& ptr,
                       bool use_ptr, float* adv) {
  if (n == 0) throw Error(ErrorCode::InvalidArg, "rewards is empty: need at least one response");
  size_t k = g.offsets ? g.count : (g.size ? n / g.size : 0);
  if (!g.offsets && (g.size == 0 || n % g.size != 0)) {
    throw Error(ErrorCode::InvalidArg, "rewards length " + std::to_string(n) + " is not a multiple of the group size " +
                                           std::to_string(g.size));
  }
  if (k == 0) throw Error(ErrorCode::InvalidArg, "group offsets need at least 2 entries");
  if (opt.mode < kGrpo || opt.mode > kRloo) throw Error(ErrorCode::InvalidArg, "unknown advantage mode");
  if (!(opt.eps >= 0) || !std::isfinite(opt.eps)) throw Error(ErrorCode::InvalidArg, "eps must be a finite number >= 0");
  size_t widest = g.offsets ? (g.max_size ? g.max_size : 32) : g.size;
  ErrGuard guard;
  const int block = 256;
  auto launch = [&](auto kernel, int W) {
    size_t threads = k * size_t(W);
    unsigned grid = unsigned((threads + block - 1) / block);
    kernel<<<grid, block>>>(rewards, n, g, k, opt, ptr, use_ptr, adv, guard.dev.ptr);
  };
  if (widest <= 4) launch(advantages_kernel<4>, 4);
  else if (widest <= 8) launch(advantages_kernel<8>, 8);
  else if (widest <= 16) launch(advantages_kernel<16>, 16);
  else launch(advantages_kernel<32>, 32);
  check(cudaGetLastError(), "launching the advantages kernel");
  ErrFlag f = guard.read();
  switch (f.kind) {
    case kErrNone: return;
    case kErrOffsets:
      throw Error(ErrorCode::InvalidArg, "group offsets are invalid at group " + std::to_string(f.index) +
                                             " (they must start at 0, increase strictly and end at " + std::to_string(n) + ")");
    case kErrRewardInf:
      throw Error(ErrorCode::InvalidArg, "rewards[" + std::to_string(f.index) +
                                             "] is infinite; rewards must be finite (NaN marks a missing reward)");
    case kErrOverflow:
      throw Error(ErrorCode::InvalidArg, "the reward or advantage of response " + std::to_string(f.index) +
                                             " overflows float32; rewards (and PTR alpha weights) must keep them within range");
    default:
      throw Error(ErrorCode::InvalidArg, "response " + std::to_string(f.index) +
                                             ": correct must be 0 or 1, format finite and judge scores in [1, 5]");
  }
}

// ------------------------------------------------------------------------------------------
// Token loss.

// The objective is native/grpo/token_term.hpp, compiled for the device: the CPU tests run the
// arithmetic the kernels run (only the exponential differs: expf here).
using Term = et::grpo::TermOut<float>;

__device__ __forceinline__ Term token_term(float lp, float old, float ref, float A, float lo, float hi, float c,
                                           float beta, int kl) {
  return et::grpo::term_by_code<float>(kl, lp, old, ref, A, et::grpo::TermParams<float>{lo, hi, c, beta});
}

__device__ __forceinline__ size_t seq_of(const DeviceLayout& L, size_t t) {
  if (!L.offsets) return t / L.length;
  size_t lo = 0, hi = L.batch;  // offsets[lo] <= t < offsets[hi]
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (L.offsets[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

__device__ __forceinline__ size_t seq_begin(const DeviceLayout& L, size_t b) {
  return L.offsets ? L.offsets[b] : b * L.length;
}

constexpr int kRedBlock = 256;
constexpr int kMetrics = 8;  // loss, m, low, high, dual, kl, ratio, entropy

// Block-wide sum of kMetrics doubles into out[0..kMetrics) (thread 0), fixed order.
__device__ void block_reduce_metrics(double (&v)[kMetrics], double* out) {
  __shared__ double sh[kRedBlock / 32][kMetrics];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int j = 0; j < kMetrics; ++j) {
    double x = v[j];
    for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(0xffffffffu, x, o);
    if (lane == 0) sh[warp][j] = x;
  }
  __syncthreads();
  if (threadIdx.x < kMetrics) {
    double s = 0;
    for (int w = 0; w < int(blockDim.x / 32); ++w) s += sh[w][threadIdx.x];
    out[threadIdx.x] = s;
  }
  __syncthreads();
}

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

__global__ void finish_metrics_kernel(const double* __restrict__ partials, size_t count, double* __restrict__ out) {
  double acc[kMetrics] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = threadIdx.x; i < count; i += blockDim.x)
#pragma unroll
    for (int j = 0; j < kMetrics; ++j) acc[j] += partials[i * kMetrics + j];
  __shared__ double sh[kMetrics];
  block_reduce_metrics(acc, sh);
  if (threadIdx.x < kMetrics) out[threadIdx.x] = sh[threadIdx.x];
}

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

// ------------------------------------------------------------------------------------------
// Logits loss.

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

}  // namespace

// ------------------------------------------------------------------------------------------

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (e == cudaErrorMemoryAllocation) {
      throw Error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes of GPU memory");
    }
    check(e, "allocating device memory");
  }
  return p;
}
void device_free(void* ptr) noexcept {
  if (ptr) cudaFree(ptr);
}
void copy_to_device(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copying to the device");
}
void copy_to_host(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copying to the host");
}
void copy_device(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copying on the device");
}
void synchronize() { check(cudaDeviceSynchronize(), "synchronising the device"); }

void group_advantages(const float* rewards, size_t n, const DeviceGroups& groups, const AdvantageOptions& opt, float* adv) {
  launch_advantages(rewards, n, groups, to_params(opt), PtrArgs{}, false, adv);
}

void ptr_advantages(const float* correct, const float* format, const float* judge, size_t n, const DeviceGroups& groups,
                    const PtrOptions& ptr, const AdvantageOptions& opt, float* reasoning, float* trust, float* reward,
                    float* adv) {
  PtrArgs a;
  a.correct = correct, a.format = format, a.judge = judge, a.reasoning = reasoning, a.trust = trust, a.reward = reward;
  a.p = to_params(ptr);
  launch_advantages(nullptr, n, groups, to_params(opt), a, true, adv);
}

namespace {

// Device scratch for one loss call: sequence scales, mask sums, partial sums, the metric sums
// and the error flag. Sized by the host; reused across repeats by the benchmark.
struct LossWorkspace {
  Scratch<float> scale;
  Scratch<double> ms;
  Scratch<double> partials;
  Scratch<double> sums;
  ErrGuard guard;
  LossWorkspace(size_t batch, size_t partial_count)
      : scale(batch, "allocating sequence scales"), ms(batch, "allocating mask sums"),
        partials(partial_count * kMetrics, "allocating partial sums"), sums(kMetrics, "allocating metric sums") {}
  LossMetrics read(const char* what) {
    double h[kMetrics];
    check(cudaMemcpy(h, sums.ptr, sizeof h, cudaMemcpyDeviceToHost), "reading the metrics");
    raise_value_error(guard.read(), what);
    return to_metrics(h);
  }
};

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

// Enqueues the whole token loss (no host synchronisation).
void enqueue_token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                        bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossParams& opt,
                        float* grad, LossWorkspace& w) {
  compute_scales_into(mask, layout, opt, w);
  const unsigned grid = token_grid(layout.tokens);
  token_loss_kernel<<<grid, kRedBlock>>>(logp, old_logp, ref_logp, adv, adv_per_token, mask, layout, w.scale.ptr,
                                         opt.term.lo, opt.term.hi, opt.term.c, opt.term.beta, opt.kl, grad, w.partials.ptr, w.guard.dev.ptr);
  check(cudaGetLastError(), "launching the token-loss kernel");
  finish_metrics_kernel<<<1, kRedBlock>>>(w.partials.ptr, grid, w.sums.ptr);
  check(cudaGetLastError(), "launching the metric reduction");
}

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
  finish_metrics_kernel<<<1, kRedBlock>>>(w.partials.ptr, rows, w.sums.ptr);
  check(cudaGetLastError(), "launching the metric reduction");
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

// ------------------------------------------------------------------------------------------
// Benchmark support: synthetic inputs generated on the device, kernels timed with events.

namespace {
__global__ void fill_kernel(float* p, size_t n, float lo, float hi, uint32_t seed) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed;
    h ^= h >> 16, h *= 0x85ebca6bu, h ^= h >> 13, h *= 0xc2b2ae35u, h ^= h >> 16;
    p[i] = lo + (hi - lo) * float(h) * (1.0f / 4294967296.0f);
  }
}
__global__ void fill_bf16_kernel(__nv_bfloat16* p, size_t n, uint32_t seed) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed;
    h ^= h >> 16, h *= 0x85ebca6bu, h ^= h >> 13;
    p[i] = __float2bfloat16_rn(-8.f + 16.f * float(h & 0xffffff) * (1.0f / 16777216.0f));
  }
}
__global__ void labels_kernel(int32_t* p, size_t n, size_t vocab) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = int32_t((i * 7919u) % vocab);
}
void fill(float* p, size_t n, float lo, float hi, uint32_t seed) {
  fill_kernel<<<1024, 256>>>(p, n, lo, hi, seed);
  check(cudaGetLastError(), "filling benchmark data");
}
}  // namespace

double benchmark_kernel(int op, size_t a, size_t b, int repeats) {
  if (repeats < 1) repeats = 1;
  std::vector<float> times;
  cudaEvent_t e0, e1;
  check(cudaEventCreate(&e0), "creating an event");
  check(cudaEventCreate(&e1), "creating an event");
  auto timed = [&](auto&& body) {
    body();  // warm-up (module load, memory-pool growth)
    check(cudaDeviceSynchronize(), "warm-up");
    // A single call between two events also counts the GPU idling while the host launches the
    // call's kernels (a few µs each: as much as the whole advantages kernel). So one timed call
    // sizes the batches, and every sample is a batch of `inner` back-to-back calls (≥ ~2 ms of
    // GPU work, where the launch queue stays ahead of the GPU) divided by `inner`.
    float one = 0;
    check(cudaEventRecord(e0), "timing");
    body();
    check(cudaEventRecord(e1), "timing");
    check(cudaEventSynchronize(e1), "timing");
    check(cudaEventElapsedTime(&one, e0, e1), "timing");
    const int inner = one > 0 ? int(std::min(200.0, std::max(1.0, std::ceil(2.0 / double(one))))) : 200;
    for (int r = 0; r < repeats; ++r) {
      check(cudaEventRecord(e0), "timing");
      for (int i = 0; i < inner; ++i) body();
      check(cudaEventRecord(e1), "timing");
      check(cudaEventSynchronize(e1), "timing");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, e0, e1), "timing");
      times.push_back(ms / float(inner));
    }
  };
  if (op == 0) {  // advantages + PTR: a responses in groups of b
    Scratch<float> c(a, "bench"), f(a, "bench"), j(a * 4, "bench"), adv(a, "bench"), rew(a, "bench");
    fill(c.ptr, a, 0.f, 1.f, 1);
    fill(f.ptr, a, 0.f, 1.f, 2);
    fill(j.ptr, a * 4, 1.f, 5.f, 3);
    // correct must be exactly 0/1: threshold on the device via a second fill into {0,1}
    std::vector<float> h(a);
    check(cudaMemcpy(h.data(), c.ptr, a * 4, cudaMemcpyDeviceToHost), "bench");
    for (auto& v : h) v = v < 0.5f ? 0.f : 1.f;
    check(cudaMemcpy(c.ptr, h.data(), a * 4, cudaMemcpyHostToDevice), "bench");
    DeviceGroups g;
    g.size = b;
    PtrArgs pa;
    pa.p = to_params(PtrOptions{});
    pa.correct = c.ptr, pa.format = f.ptr, pa.judge = j.ptr, pa.reward = rew.ptr;
    size_t k = a / b;
    ErrGuard guard;
    timed([&] {
      advantages_kernel<8><<<unsigned((k * 8 + 255) / 256), 256>>>(nullptr, a, g, k, to_params(AdvantageOptions{}), pa, true, adv.ptr,
                                                                   guard.dev.ptr);
    });
  } else if (op == 1) {  // token loss: a sequences of b tokens
    size_t T = a * b;
    Scratch<float> lp(T, "bench"), old(T, "bench"), ref(T, "bench"), adv(a, "bench"), mask(T, "bench"), grad(T, "bench");
    fill(lp.ptr, T, -5.f, 0.f, 4);
    fill(old.ptr, T, -5.f, 0.f, 5);
    fill(ref.ptr, T, -5.f, 0.f, 6);
    fill(adv.ptr, a, -1.f, 1.f, 7);
    fill(mask.ptr, T, 1.f, 1.f, 8);
    DeviceLayout L{nullptr, a, b, T};
    const LossParams p = to_params(LossOptions{});  // the defaults (k3 KL, dual clip), as torch_baseline.py computes
    LossWorkspace w(L.batch, token_grid(T));
    timed([&] { enqueue_token_loss(lp.ptr, old.ptr, ref.ptr, adv.ptr, false, mask.ptr, L, p, grad.ptr, w); });
    w.read("benchmark");
  } else {  // logits loss: a rows × b vocab, bf16 (op 2) or fp32 (op 3), gradient in place
    bool bf = op == 2;
    size_t N = a * b;
    void* z = device_alloc(N * (bf ? 2 : 4));
    Scratch<int32_t> lab(a, "bench");
    Scratch<float> old(a, "bench"), ref(a, "bench"), adv(a, "bench"), logp(a, "bench"), ent(a, "bench");
    if (bf) fill_bf16_kernel<<<4096, 256>>>(static_cast<__nv_bfloat16*>(z), N, 9);
    else fill(static_cast<float*>(z), N, -8.f, 8.f, 9);
    labels_kernel<<<256, 256>>>(lab.ptr, a, b);
    fill(old.ptr, a, -12.f, -10.f, 10);
    fill(ref.ptr, a, -12.f, -10.f, 11);
    fill(adv.ptr, a, -1.f, 1.f, 12);
    DeviceLayout L{nullptr, 1, a, a};
    const LossParams p = to_params(LossOptions{});  // the defaults (k3 KL, dual clip), as torch_baseline.py computes
    // In place: each repeat overwrites the logits with their gradient, which is still a valid
    // finite input of the same size, so every repeat does the same work.
    LossWorkspace w(L.batch, a);
    timed([&] {
      enqueue_logits_loss(z, bf, a, b, lab.ptr, old.ptr, ref.ptr, adv.ptr, nullptr, L, p, 1.0, logp.ptr, ent.ptr, z, w);
    });
    w.read("benchmark");
    device_free(z);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace et::cuda
