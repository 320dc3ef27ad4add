// GRPO kernels on the GPU (docs/formulas.md#grpo-and-grpo-ptr), mirroring native/grpo on the CPU: group advantages with
// the GRPO-PTR reward in one launch, token loss forward+backward with metrics in one pass, and
// the fused logits loss (log-softmax, entropy, token loss, gradient) reading the logits once.
// All pointers are device pointers. Failures throw et::Error (ERR_CUDA, ERR_INVALID_ARG,
// ERR_OUT_OF_MEMORY). No CUDA headers here, so the bindings compile with a plain C++ compiler.
// Options and metrics are the CPU core's own types (native/grpo/grpo.hpp, defaults from
// native/grpo/options.hpp): one definition for both devices.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../grpo/grpo.hpp"

namespace et::cuda {

// Device memory. Allocation failures throw ERR_OUT_OF_MEMORY naming the size.
void* device_alloc(size_t bytes);
void device_free(void* ptr) noexcept;
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_device(void* dst, const void* src, size_t bytes);
void synchronize();

using et::grpo::AdvantageOptions;
using et::grpo::LogitsOptions;
using et::grpo::LossMetrics;
using et::grpo::LossOptions;
using et::grpo::PtrOptions;

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
// (opt.threads is not used on the GPU.)
void group_advantages(const float* rewards, size_t n, const DeviceGroups& groups, const AdvantageOptions& opt, float* adv);

// GRPO-PTR rewards and their advantages in one launch: correct[n] ∈ {0,1}, format[n],
// judge[n·dims] ∈ [1,5] with dims = ptr.judge_weights.size() (empty: the default equal weights)
// → reasoning[n], trust[count], reward[n], adv[n] (any output may be null except adv).
void ptr_advantages(const float* correct, const float* format, const float* judge, size_t n, const DeviceGroups& groups,
                    const PtrOptions& ptr, const AdvantageOptions& opt, float* reasoning, float* trust, float* reward,
                    float* adv);

// Padded [batch, length] (offsets == nullptr) or ragged offsets[batch + 1] on the device.
struct DeviceLayout {
  const uint32_t* offsets = nullptr;
  size_t batch = 0, length = 0, tokens = 0;
};

// Token loss: logp, old_logp, ref_logp (null when kl == none) [tokens]; adv [batch] or [tokens];
// mask [tokens] (float weights) or null → grad [tokens] (may be null), metrics. (opt.threads is
// not used on the GPU.)
LossMetrics token_loss(const float* logp, const float* old_logp, const float* ref_logp, const float* adv,
                       bool adv_per_token, const float* mask, const DeviceLayout& layout, const LossOptions& opt,
                       float* grad);

// Logits loss over rows × vocab logits (float32, or bf16 as uint16 when bf16): labels [rows],
// old/ref log-probs, adv and mask per row (the layout groups rows into sequences) → logp,
// entropy [rows] (may be null), grad (rows × vocab of the logits' type; may alias the logits for
// the in-place mode; null: none), metrics. Extra device memory is O(rows), never O(rows·vocab).
LossMetrics logits_loss(const void* logits, bool bf16, size_t rows, size_t vocab, const int32_t* labels,
                        const float* old_logp, const float* ref_logp, const float* adv, const float* mask,
                        const DeviceLayout& layout, const LogitsOptions& opt, float* logp_out,
                        float* entropy_out, void* grad);

// Kernel timing for benchmarks: runs `op` (0 advantages+PTR, 1 token loss, 2 logits loss bf16,
// 3 logits loss fp32) on synthetic device data of the given size `repeats` times and returns
// the median milliseconds measured with CUDA events (no host transfers inside the timing).
double benchmark_kernel(int op, size_t a, size_t b, int repeats);

}  // namespace et::cuda
