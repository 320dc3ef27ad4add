// What the GRPO kernels share (internal to native/cuda/grpo_*.cu, never included by the
// bindings): the kernels' parameters converted from the core's option structs, device scratch,
// the error flag, the per-sequence helpers and metric reduction of the two losses, and the loss
// workspace. The public entry points are in grpo_cuda.hpp. Numerics follow
// native/grpo/token_term.hpp and advantages.cpp: float32 per element, float64 for every sum, fixed
// reduction orders so results are identical from run to run on a given device.
#pragma once
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

namespace et::cuda::grpo_impl {

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

inline AdvParams to_params(const AdvantageOptions& o) {
  return AdvParams{int(o.mode), o.std == et::grpo::StdKind::Unbiased, o.eps, o.singleton == et::grpo::Singleton::Raw};
}

inline PtrParams to_params(const PtrOptions& o) {
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

inline LossParams to_params(const LossOptions& o) {
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

__device__ inline void flag(ErrKey* f, int kind, unsigned long long index) {
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

// The PTR inputs and outputs of the advantages kernel (grpo_advantages.cu).
struct PtrArgs {
  const float* correct = nullptr;
  const float* format = nullptr;
  const float* judge = nullptr;
  float* reasoning = nullptr;
  float* trust = nullptr;
  float* reward = nullptr;
  PtrParams p;
};

// ------------------------------------------------------------------------------------------
// Shared by the token and logits losses (grpo_loss_common.cu).

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
__device__ inline void block_reduce_metrics(double (&v)[kMetrics], double* out) {
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

LossMetrics to_metrics(const double* s);
void validate_layout(const DeviceLayout& L);
void raise_value_error(const ErrFlag& f, const char* what);

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

// Blocks of the token-loss kernel for `tokens` tokens.
unsigned token_grid(size_t tokens);
// Checks ragged offsets on the device and writes the per-sequence scales into w.scale.
void compute_scales_into(const float* mask, const DeviceLayout& L, const LossParams& opt, LossWorkspace& w);
// Sums `count` partial metric rows into w.sums (one block, fixed order).
void enqueue_finish_metrics(LossWorkspace& w, size_t count);

// Enqueued without host synchronisation (grpo_token_loss.cu, grpo_logits_loss.cu): the public
// calls and the benchmark both use them.
void enqueue_token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                        bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossParams& opt,
                        float* grad, LossWorkspace& w);
void enqueue_logits_loss(const void* logits, bool bf16, size_t rows, size_t vocab, const int32_t* labels,
                         const float* old_logp, const float* ref_logp, const float* adv, const float* mask,
                         const DeviceLayout& layout, const LossParams& opt, double temperature, float* logp_out,
                         float* entropy_out, void* grad, LossWorkspace& w);

// The advantages kernel with tiles of 8 lanes, launched as the benchmark times it (grpo_advantages.cu).
void enqueue_advantages_w8(size_t n, const DeviceGroups& g, size_t k, const AdvParams& opt, const PtrArgs& ptr,
                           float* adv, ErrKey* err);

}  // namespace et::cuda::grpo_impl
