// Group advantages on the GPU, with the GRPO-PTR reward in the same launch (see grpo_cuda.hpp):
// one tile of W lanes per group; statistics in float64 as native/grpo/advantages.cpp.
#include "grpo_cuda_common.cuh"

namespace et::cuda {
using namespace grpo_impl;
namespace {

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

}  // namespace

namespace grpo_impl {

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

void enqueue_advantages_w8(size_t n, const DeviceGroups& g, size_t k, const AdvParams& opt, const PtrArgs& ptr,
                           float* adv, ErrKey* err) {
  advantages_kernel<8><<<unsigned((k * 8 + 255) / 256), 256>>>(nullptr, n, g, k, opt, ptr, true, adv, err);
}

}  // namespace grpo_impl

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

}  // namespace et::cuda
