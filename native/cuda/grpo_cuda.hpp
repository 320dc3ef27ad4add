// GRPO kernels on the GPU (SPEC §4), mirroring native/grpo on the CPU: group advantages with
// the GRPO-PTR reward in one launch, token loss forward+backward with metrics in one pass, and
// the fused logits loss (log-softmax, entropy, token loss, gradient) reading the logits once.
// All pointers are device pointers. Failures throw et::Error (ERR_CUDA, ERR_INVALID_ARG,
// ERR_OUT_OF_MEMORY). No CUDA headers here, so the bindings compile with a plain C++ compiler.
#pragma once
#include <cstddef>
#include <cstdint>

namespace et::cuda {

// Device memory. Allocation failures throw ERR_OUT_OF_MEMORY naming the size.
void* device_alloc(size_t bytes);
void device_free(void* ptr) noexcept;
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_device(void* dst, const void* src, size_t bytes);
void synchronize();

enum AdvMode { kGrpo = 0, kDrGrpo = 1, kRloo = 2 };

struct AdvParams {
  int mode = kGrpo;
  bool unbiased = true;
  double eps = 1e-6;
  bool singleton_raw = false;
};

// Groups: device offsets [count + 1] (validated on the device: starting at 0, increasing, ending
// at n), or offsets == nullptr and a fixed group size dividing n.
struct DeviceGroups {
  const uint32_t* offsets = nullptr;
  size_t count = 0;
  size_t size = 0;
  // Largest group, when known (host layouts): picks the tile width. 0: unknown (use 32).
  size_t max_size = 0;
};

// rewards[n] → adv[n]. NaN rewards: advantage 0, excluded from the statistics. ±Inf: error.
void group_advantages(const float* rewards, size_t n, const DeviceGroups& groups, const AdvParams& opt, float* adv);

struct PtrParams {
  double alpha_format = 0.3, alpha_outcome = 1.0, alpha_reasoning = 0.5;
  double weights[8] = {0.25, 0.25, 0.25, 0.25};
  int dims = 4;
  bool reasoning_enabled = true;
};

// GRPO-PTR rewards and their advantages in one launch: correct[n] ∈ {0,1}, format[n],
// judge[n·dims] ∈ [1,5] → reasoning[n], trust[count], reward[n], adv[n] (any output may be null
// except adv).
void ptr_advantages(const float* correct, const float* format, const float* judge, size_t n, const DeviceGroups& groups,
                    const PtrParams& ptr, const AdvParams& opt, float* reasoning, float* trust, float* reward, float* adv);

enum KlKind { kKlNone = 0, kKlK1 = 1, kKlAbs = 2, kKlK2 = 3, kKlK3 = 4 };
enum AggKind { kTokenMean = 0, kSeqMeanTokenMean = 1, kSeqMeanTokenSum = 2, kSeqMeanTokenSumNorm = 3 };

struct LossParams {
  double clip_low = 0.2, clip_high = 0.2;
  double clip_c = 0.0;  // 0: dual clip off
  double beta = 0.0;
  int kl = kKlNone;     // kKlNone when beta == 0
  int agg = kTokenMean;
  double norm_len = 0.0;
};

// Padded [batch, length] (offsets == nullptr) or ragged offsets[batch + 1] on the device.
struct DeviceLayout {
  const uint32_t* offsets = nullptr;
  size_t batch = 0, length = 0, tokens = 0;
};

struct LossMetrics {
  double loss = 0, tokens = 0, clip_frac_low = 0, clip_frac_high = 0, clip_frac_dual = 0, kl_mean = 0, ratio_mean = 0,
         entropy_mean = 0;
};

// Token loss: logp, old_logp, ref_logp (null when kl == none) [tokens]; adv [batch] or [tokens];
// mask [tokens] (float weights) or null → grad [tokens] (may be null), metrics.
LossMetrics token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                       bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossParams& opt,
                       float* grad);

// Logits loss over rows × vocab logits (float32, or bf16 as uint16 when bf16): labels [rows],
// old/ref log-probs, adv and mask per row (the layout groups rows into sequences) → logp,
// entropy [rows] (may be null), grad (rows × vocab of the logits' type; may alias the logits for
// the in-place mode; null: none), metrics. Extra device memory is O(rows), never O(rows·vocab).
LossMetrics logits_loss(const void* logits, bool bf16, size_t rows, size_t vocab, const int32_t* labels,
                        const float* old_logp, const float* ref_logp, const float* adv, const float* mask,
                        const DeviceLayout& layout, const LossParams& opt, double temperature, float* logp_out,
                        float* entropy_out, void* grad);

// Kernel timing for benchmarks: runs `op` (0 advantages+PTR, 1 token loss, 2 logits loss bf16,
// 3 logits loss fp32) on synthetic device data of the given size `repeats` times and returns
// the median milliseconds measured with CUDA events (no host transfers inside the timing).
double benchmark_kernel(int op, size_t a, size_t b, int repeats);

}  // namespace et::cuda
