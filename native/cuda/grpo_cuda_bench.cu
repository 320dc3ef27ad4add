// Benchmark support for the GRPO kernels (benchmark_kernel in grpo_cuda.hpp): synthetic inputs
// generated on the device, kernels timed with events.
#include <cuda_bf16.h>

#include "grpo_cuda_common.cuh"

namespace et::cuda {
using namespace grpo_impl;

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
      enqueue_advantages_w8(a, g, k, to_params(AdvantageOptions{}), pa, adv.ptr, guard.dev.ptr);
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
