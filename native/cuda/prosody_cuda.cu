// Batched prosody tracks on the GPU (see prosody_cuda.hpp).
//
// Layout: the clips of a group are concatenated. Per clip: its input samples (int16 or float at
// 16 kHz), a zero-padded 8 kHz region (the tracker's analysis signal; `pad` zeros on each side so
// every window of every frame is in bounds, as on the CPU) and its frames. Kernels index the flat
// arrays and find their clip by binary search over prefix offsets.
//
// Stages (f0.hpp numbers them; the sequential ones are split as f0_staged.cpp does and tests):
//   stats      per-clip mean (float64), clipped count, first non-finite sample
//   decimate   16 → 8 kHz, one thread per output sample
//   condition  DC blocker + low-pass, chunks of 2048 samples each warmed up on the 2048 before
//   level      frame RMS for the silence rule; a segmented sort gives each clip's reference level
//   candidates a block per 32-frame tile: the tile's signal and float64 prefix energies in shared
//              memory, all NCCF values by the block, then one thread per frame picks candidates
//   anchors    transition costs, anchor frames (unvoiced provably on the path), segment starts
//   viterbi    one thread per segment; twice when the range prior applies (median by sort)
//   outputs    per frame, then best guesses for unvoiced frames from max-scans of voiced indices
//   energy     RMS dBFS per frame; both Praat intensity contours, a warp per frame
// Groups of clips (≤ kGroupSamples input samples each) alternate between two streams, each with
// its own buffers, so one group's upload overlaps the previous group's kernels.
#include <cub/cub.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../common/error.hpp"
#include "../prosody/energy_steps.hpp"
#include "../prosody/batch.hpp"
#include "../prosody/f0_staged.hpp"
#include "../prosody/f0_steps.hpp"
#include "cuda_check.hpp"
#include "prosody_cuda.hpp"

namespace et::cuda {
namespace {

using namespace et::prosody::steps;
namespace ps = et::prosody;

constexpr size_t kGroupSamples = size_t(1) << 27;  // input samples per group (~2.3 h at 16 kHz)
constexpr size_t kStatsChunk = 1 << 16;             // samples per block of the stats pass
constexpr int kTileFrames = 32;                     // frames per candidates block
constexpr int kTileThreads = 128;
constexpr int kEnergyTileFrames = 32;               // frames per intensity block (a warp per frame)
constexpr int kEnergyThreads = 256;

// ------------------------------------------------------------------------------------------
// Small device helpers

// Largest c in [0, count) with cum[c] ≤ idx (cum ascending, cum[0] = 0).
__device__ inline int find_clip(const size_t* cum, int count, size_t idx) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (cum[mid] <= idx) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

template <class T>
__device__ inline float sample_at(const T* x, size_t i);
template <>
__device__ inline float sample_at<float>(const float* x, size_t i) {
  return x[i];
}
template <>
__device__ inline float sample_at<int16_t>(const int16_t* x, size_t i) {
  return float(x[i]) * (1.0f / 32768.0f);  // the WAV decoder's scale: exact (power of two)
}

struct Layout {
  int clips;
  const size_t* in_off;  // [clips]   first input sample
  const size_t* n;       // [clips]   input samples (16 kHz)
  const size_t* x8_off;  // [clips]   start of the padded 8 kHz region
  const size_t* n8_cum;  // [clips+1] prefix of 8 kHz body lengths
  const size_t* f_off;   // [clips+1] prefix of frame counts
};

struct Chunk {  // a piece of one clip: [begin, end) in that clip's sample numbering
  int clip;
  size_t begin, end;
};

// ------------------------------------------------------------------------------------------
// Kernels

// Per chunk: Σ x (float64), clipped count, first non-finite sample (flat index, atomicMin).
template <class T>
__global__ void stats_kernel(const T* in, Layout L, const Chunk* chunks, double* sums, unsigned long long* clipped,
                             unsigned long long* bad) {
  using Reduce = cub::BlockReduce<double, 256>;
  using ReduceN = cub::BlockReduce<unsigned long long, 256>;
  __shared__ typename Reduce::TempStorage t1;
  __shared__ typename ReduceN::TempStorage t2;
  const Chunk ch = chunks[blockIdx.x];
  const T* x = in + L.in_off[ch.clip];
  double s = 0;
  unsigned long long c = 0;
  for (size_t i = ch.begin + threadIdx.x; i < ch.end; i += blockDim.x) {
    const float v = sample_at(x, i);
    if (!isfinite(v)) atomicMin(bad, (unsigned long long)(L.in_off[ch.clip] + i));
    s += v;
    c += fabsf(v) >= 0.999f;
  }
  s = Reduce(t1).Sum(s);
  __syncthreads();
  c = ReduceN(t2).Sum(c);
  if (threadIdx.x == 0) {
    sums[blockIdx.x] = s;
    clipped[blockIdx.x] = c;
  }
}

// Per clip, in chunk order (deterministic): mean and clipped count.
__global__ void clip_stats_kernel(int clips, const int* first_chunk, const double* sums,
                                  const unsigned long long* clipped, const size_t* n, double* mean,
                                  unsigned long long* clipped_out) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= clips) return;
  double s = 0;
  unsigned long long k = 0;
  for (int q = first_chunk[c]; q < first_chunk[c + 1]; ++q) {
    s += sums[q];
    k += clipped[q];
  }
  mean[c] = n[c] ? s / double(n[c]) : 0.0;
  clipped_out[c] = k;
}

template <class T>
__global__ void decimate_kernel(const T* in, Layout L, Params prm, float* raw8) {
  const size_t total = L.n8_cum[L.clips];
  for (size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x; idx < total; idx += size_t(gridDim.x) * blockDim.x) {
    const int c = find_clip(L.n8_cum, L.clips, idx);
    const size_t j = idx - L.n8_cum[c];
    const T* x = in + L.in_off[c];
    raw8[L.x8_off[c] + size_t(prm.pad) + j] = decimate_sample(prm, [x](size_t i) { return sample_at(x, i); }, L.n[c], j);
  }
}

__global__ void condition_kernel(Layout L, Params prm, const Chunk* chunks, int count, const float* raw8, float* x8) {
  const int q = blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= count) return;
  const Chunk ch = chunks[q];
  const size_t base = L.x8_off[ch.clip] + size_t(prm.pad);
  condition_range(prm, raw8 + base, x8 + base, ch.begin, ch.end, ps::kConditionWarm);
}

__global__ void level_kernel(Layout L, Params prm, const float* x8, float* level) {
  const size_t total = L.f_off[L.clips];
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int c = find_clip(L.f_off, L.clips, idx);
  const float* xp = x8 + L.x8_off[c];
  const long s = frame_centre(prm, idx - L.f_off[c]) - prm.level_len / 2;
  double e = 0;
  for (int t = 0; t < prm.level_len; ++t) e += double(xp[s + t]) * xp[s + t];
  level[idx] = float(sqrt(e / prm.level_len));
}

// Each clip's reference level from its sorted frame levels (f0.hpp step 4).
__global__ void ref_level_kernel(Layout L, Params prm, const float* sorted, double* ref) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= L.clips) return;
  const size_t frames = L.f_off[c + 1] - L.f_off[c];
  if (frames == 0) {
    ref[c] = 0;
    return;
  }
  const size_t q = prm.level_quantile < 1 && frames > 1 ? size_t(prm.level_quantile * double(frames - 1)) : frames - 1;
  ref[c] = fmax(0.0, double(sorted[L.f_off[c] + q]));
}

struct Tile {
  int clip;
  int count;     // frames in the tile
  size_t first;  // clip-local first frame
};

__global__ void __launch_bounds__(kTileThreads) candidates_kernel(Layout L, Params prm, const Tile* tiles,
                                                                  const float* x8, const float* level,
                                                                  const double* ref, Candidate* cands,
                                                                  int32_t* count) {
  extern __shared__ __align__(16) unsigned char smem[];
  using Scan = cub::BlockScan<double, kTileThreads>;
  __shared__ typename Scan::TempStorage scan_tmp;
  const Tile tile = tiles[blockIdx.x];
  const size_t fbase = L.f_off[tile.clip];
  const size_t frames = L.f_off[tile.clip + 1] - fbase;
  const float* xp = x8 + L.x8_off[tile.clip];
  const long a = frame_centre(prm, tile.first) - prm.pad;
  const size_t span = size_t(frame_centre(prm, tile.first + size_t(tile.count) - 1) - a + prm.pad);
  double* P = reinterpret_cast<double*>(smem);                   // span + 1
  float* xs = reinterpret_cast<float*>(P + span + 1);            // span
  float* r = xs + span;                                          // kTileFrames × nk
  // Signal and float64 prefix sums of squares (each thread a contiguous run, then a block scan).
  const size_t per = (span + kTileThreads - 1) / kTileThreads;
  const size_t lo = min_z(span, threadIdx.x * per), hi = min_z(span, lo + per);
  double run = 0;
  for (size_t t = lo; t < hi; ++t) {
    const float v = xp[a + long(t)];
    xs[t] = v;
    run += double(v) * v;
  }
  double before = 0;
  Scan(scan_tmp).ExclusiveSum(run, before);
  if (threadIdx.x == 0) P[0] = 0;
  for (size_t t = lo; t < hi; ++t) {
    before += double(xs[t]) * xs[t];
    P[t + 1] = before;
  }
  __syncthreads();
  auto energy = [&](long s, int len) { return fmax(0.0, P[s + len] - P[s]); };  // s relative to a
  // NCCF of every (frame, lag) of the tile.
  const int nk = prm.nk;
  for (int item = threadIdx.x; item < tile.count * nk; item += kTileThreads) {
    const int f = item / nk, j = item - f * nk;
    const size_t i = tile.first + size_t(f);
    if (!(level[fbase + i] > 0)) continue;
    const long c = frame_centre(prm, i) - a;
    const int k = prm.k_lo + j;
    const long s0 = c - (prm.W + k) / 2;
    float num = 0.f;
    for (int t = 0; t < prm.W; ++t) num += xs[s0 + t] * xs[s0 + k + t];
    r[f * nk + j] = float(nccf_value(num, energy(s0, prm.W), energy(s0 + k, prm.W), prm.tiny));
  }
  __syncthreads();
  // One thread per frame picks its candidates (the CPU's sequential step, same function).
  if (int(threadIdx.x) >= tile.count) return;
  const size_t i = tile.first + threadIdx.x;
  const int stride = prm.max_candidates + 1;
  Candidate kept[kMaxKept];
  kept[0] = Candidate{0.f, unvoiced_strength(prm, level + fbase, frames, i, ref[tile.clip]), 0.f};
  int m = 1;
  if (level[fbase + i] > 0) {
    const long c = frame_centre(prm, i) - a;
    auto short_nccf = [&](int k) {
      const long ss = c - (prm.Ws + k) / 2;
      float num = 0.f;
      for (int t = 0; t < prm.Ws; ++t) num += xs[ss + t] * xs[ss + k + t];
      return nccf_value(num, energy(ss, prm.Ws), energy(ss + k, prm.Ws), prm.tiny);
    };
    m = frame_candidates(prm, r + threadIdx.x * nk, short_nccf, kept);
  }
  Candidate* out = cands + (fbase + i) * size_t(stride);
  for (int q = 0; q < m; ++q) out[q] = kept[q];
  count[fbase + i] = m;
}

// Transition costs, anchors and segment starts (see f0_steps.hpp is_anchor).
__global__ void anchors_kernel(Layout L, Params prm, const float* level, const double* ref, const Candidate* cands,
                               const int32_t* count, float* on, float* off, uint8_t* anchor, int* start,
                               int32_t* path) {
  const size_t total = L.f_off[L.clips];
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int c = find_clip(L.f_off, L.clips, idx);
  const size_t fbase = L.f_off[c], frames = L.f_off[c + 1] - fbase, i = idx - fbase;
  float on_i, off_i, on_next = 0.f, off_next;
  vuv_costs(prm, level + fbase, frames, i, ref[c], &on_i, &off_i);
  if (i + 1 < frames) vuv_costs(prm, level + fbase, frames, i + 1, ref[c], &on_next, &off_next);
  on[idx] = on_i;
  off[idx] = off_i;
  const int stride = prm.max_candidates + 1;
  const float bound = (i > 0 ? off_i : 0.f) + (i + 1 < frames ? on_next : 0.f);
  const bool an = is_anchor(cands + idx * size_t(stride), count[idx], bound);
  anchor[idx] = an;
  if (an) path[idx] = 0;
  start[idx] = (an && i + 1 < frames) || (i == 0 && !an);
}

__global__ void scatter_starts_kernel(size_t total, const int* start, const int* pos, int* seg_start, int* seg_count) {
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  if (start[idx]) seg_start[pos[idx]] = int(idx);
  if (idx + 1 == total) *seg_count = pos[idx] + start[idx];
}

__global__ void viterbi_kernel(Layout L, Params prm, const int* seg_start, const int* seg_count,
                               const Candidate* cands, const int32_t* count, const float* on, const float* off,
                               const uint8_t* anchor, uint8_t* back, int32_t* path) {
  const int q = blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= *seg_count) return;
  const size_t s = size_t(seg_start[q]);
  const int c = find_clip(L.f_off, L.clips, s);
  const size_t last = L.f_off[c + 1] - 1;
  size_t e = s < last ? s + 1 : s;
  while (e < last && !anchor[e]) ++e;
  viterbi_segment(cands, count, prm.max_candidates + 1, on, off, prm.jump, s, e, anchor[s] != 0, anchor[e] != 0,
                  back, path);
}

// Range prior: log2 F0 of the voiced path frames (+inf elsewhere) for the per-clip median.
__global__ void prior_keys_kernel(size_t total, int stride, const Candidate* cands, const int32_t* path, float* key) {
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const float f = cands[idx * size_t(stride) + size_t(path[idx])].f;
  key[idx] = f > 0 ? log2_or_zero(f) : INFINITY;
}

__global__ void prior_median_kernel(Layout L, Params prm, const float* sorted, float* median, int* apply) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= L.clips) return;
  const size_t b = L.f_off[c], e = L.f_off[c + 1];
  size_t lo = b, hi = e;  // first +inf
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (sorted[mid] < INFINITY) lo = mid + 1;
    else hi = mid;
  }
  const size_t voiced = lo - b;
  apply[c] = prm.range_prior_cost > 0 && voiced > 0 && voiced >= prm.prior_min_voiced;
  median[c] = apply[c] ? sorted[b + voiced / 2] : 0.f;
}

__global__ void prior_apply_kernel(Layout L, Params prm, const float* median, const int* apply, Candidate* cands,
                                   const int32_t* count) {
  const size_t total = L.f_off[L.clips];
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int c = find_clip(L.f_off, L.clips, idx);
  if (!apply[c]) return;
  Candidate* cs = cands + idx * size_t(prm.max_candidates + 1);
  for (int j = 1; j < count[idx]; ++j) cs[j].strength -= range_prior_penalty(prm, log2_or_zero(cs[j].f), median[c]);
}

__global__ void output_kernel(size_t total, int stride, const Candidate* cands, const int32_t* count,
                              const int32_t* path, float* f0, float* best, float* voicing, float* nccf,
                              long long* prev_key, long long* next_key_rev) {
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  frame_output(cands + idx * size_t(stride), count[idx], path[idx], f0 + idx, best + idx, voicing + idx, nccf + idx);
  const bool v = !isnan(f0[idx]);
  prev_key[idx] = v ? (long long)idx : -1;
  next_key_rev[total - 1 - idx] = v ? -(long long)idx : LLONG_MIN;
}

struct MaxOp {
  __device__ long long operator()(long long a, long long b) const { return a > b ? a : b; }
};

__global__ void guess_kernel(Layout L, int stride, const Candidate* cands, const int32_t* count,
                             const long long* prev_scan, const long long* next_scan_rev, const float* f0, float* best,
                             float* nccf) {
  const size_t total = L.f_off[L.clips];
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total || !isnan(f0[idx])) return;
  const int c = find_clip(L.f_off, L.clips, idx);
  const long long b0 = (long long)L.f_off[c], b1 = (long long)L.f_off[c + 1];
  const long long pv = prev_scan[idx];
  const long long nr = next_scan_rev[total - 1 - idx];
  const long long nv = nr == LLONG_MIN ? -1 : -nr;
  const long a = pv >= b0 ? long(pv - b0) : -1, b = nv >= 0 && nv < b1 ? long(nv - b0) : -1;
  const long ref = nearest_voiced(long(idx - size_t(b0)), a, b);
  unvoiced_guess(cands + idx * size_t(stride), count[idx], ref >= 0, ref >= 0 ? f0[size_t(b0) + size_t(ref)] : 0.f,
                 best + idx, nccf + idx);
}

// Frame RMS in dBFS over a centred rectangular window, clip mean removed (prosody.cpp).
template <class T>
__global__ void rms_kernel(const T* in, Layout L, double hop, long rw, const double* mean, float* rms) {
  const size_t total = L.f_off[L.clips];
  const size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int c = find_clip(L.f_off, L.clips, idx);
  const T* x = in + L.in_off[c];
  const long n = long(L.n[c]);
  const long centre = lround(double(idx - L.f_off[c]) * hop * 16000.0), s = centre - rw / 2;
  double acc = 0;
  for (long j = s > 0 ? s : 0; j < (s + rw < n ? s + rw : n); ++j) {
    const double v = double(sample_at(x, size_t(j))) - mean[c];
    acc += v * v;
  }
  rms[idx] = rms_dbfs_of(acc / double(rw));
}

// Praat-style intensity (prosody.cpp intensity_track): a block per tile of frames stages the
// tile's samples (the clip mean outside the clip) in shared memory; a warp per frame.
template <class T>
__global__ void __launch_bounds__(kEnergyThreads) intensity_kernel(const T* in, Layout L, const Tile* tiles, double hop,
                                                                   const float* w, int len, double wsum,
                                                                   const double* mean, float* out) {
  extern __shared__ __align__(16) unsigned char smem[];
  float* xs = reinterpret_cast<float*>(smem);
  const Tile tile = tiles[blockIdx.x];
  const T* x = in + L.in_off[tile.clip];
  const long n = long(L.n[tile.clip]);
  const int half = len / 2;
  const long c0 = lround(double(tile.first) * hop * 16000.0);
  const long c1 = lround(double(tile.first + size_t(tile.count) - 1) * hop * 16000.0);
  const long a = c0 - half, span = c1 - c0 + len;
  const float m = float(mean[tile.clip]);
  for (long t = threadIdx.x; t < span; t += blockDim.x) {
    const long j = a + t;
    xs[t] = j >= 0 && j < n ? sample_at(x, size_t(j)) : m;
  }
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int f = warp; f < tile.count; f += kEnergyThreads / 32) {
    const long s = lround(double(tile.first + size_t(f)) * hop * 16000.0) - half - a;
    float s1 = 0.f, s2 = 0.f;
    for (int t = lane; t < len; t += 32) {
      const float wx = w[t] * xs[s + t];
      s1 += wx;
      s2 += wx * xs[s + t];
    }
    for (int o = 16; o > 0; o >>= 1) {
      s1 += __shfl_xor_sync(0xffffffffu, s1, o);
      s2 += __shfl_xor_sync(0xffffffffu, s2, o);
    }
    if (lane == 0) out[L.f_off[tile.clip] + tile.first + size_t(f)] = intensity_db_of(s1, s2, wsum);
  }
}

// ------------------------------------------------------------------------------------------
// Host side

// A device array: its own stream-ordered allocation, or a view into an arena (one allocation
// holding many arrays, so a group costs a handful of allocations and copies, not dozens).
template <class T>
struct DevArray {
  T* ptr = nullptr;
  size_t count = 0;
  cudaStream_t stream = nullptr;
  bool owned = false;
  DevArray() = default;
  DevArray(const DevArray&) = delete;
  DevArray& operator=(const DevArray&) = delete;
  ~DevArray() { release(); }
  void release() {
    if (ptr && owned) cudaFreeAsync(ptr, stream);
    ptr = nullptr;
    count = 0;
    owned = false;
  }
  void alloc(size_t n, cudaStream_t s, const char* what) {
    release();
    stream = s;
    if (n) check(cudaMallocAsync(reinterpret_cast<void**>(&ptr), n * sizeof(T), s), what);
    count = n;
    owned = n > 0;
  }
  void view(unsigned char* base, size_t offset, size_t n) {
    release();
    ptr = reinterpret_cast<T*>(base + offset);
    count = n;
  }
  void upload(const std::vector<T>& v, cudaStream_t s, const char* what) {
    alloc(v.size(), s, what);
    if (!v.empty()) check(cudaMemcpyAsync(ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice, s), what);
  }
};

struct Stream {
  cudaStream_t s = nullptr;
  Stream() { check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "creating a CUDA stream"); }
  ~Stream() {
    if (s) cudaStreamDestroy(s);
  }
};

struct Event {
  cudaEvent_t e = nullptr;
  Event() { check(cudaEventCreate(&e), "creating a CUDA event"); }
  ~Event() {
    if (e) cudaEventDestroy(e);
  }
};

struct PinnedBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  ~PinnedBuffer() {
    if (ptr) cudaFreeHost(ptr);
  }
  void reserve(size_t b) {
    if (b <= bytes) return;
    if (ptr) cudaFreeHost(ptr);
    ptr = nullptr;
    bytes = 0;
    check(cudaHostAlloc(&ptr, b, cudaHostAllocDefault), "allocating page-locked host memory");
    bytes = b;
  }
};

// Byte offsets of arrays packed into one block, each aligned to 256 bytes.
struct Packing {
  size_t bytes = 0;
  template <class T>
  size_t add(size_t count) {
    const size_t off = bytes;
    bytes += (count * sizeof(T) + 255) / 256 * 256;
    return off;
  }
};

// Keep freed device memory in the stream-ordered pool (up to 2 GiB) between batches, so repeated
// batches do not pay for growing the pool again; beyond that it goes back to the driver.
void keep_pool_memory() {
  static const bool done = [] {
    int dev = 0;
    cudaMemPool_t pool;
    if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetDefaultMemPool(&pool, dev) == cudaSuccess) {
      uint64_t keep = uint64_t(2) << 30;
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    cudaGetLastError();
    return true;
  }();
  (void)done;
}

unsigned blocks_for(size_t n, unsigned threads) { return unsigned(std::max<size_t>(1, (n + threads - 1) / threads)); }

// One group of clips on one stream: its buffers live until the next group on the same stream.
struct GroupRun {
  Stream stream;
  PinnedBuffer staging;  // the audio, when the caller's memory is pageable
  PinnedBuffer htab;     // work tables, uploaded in one copy
  PinnedBuffer hres;     // results, downloaded in one copy
  DevArray<unsigned char> dtab, dwork, dres;  // arenas the arrays below are views into
  size_t r_off[10] = {};                      // offsets in dres/hres: 7 tracks, mean, clipped, bad
  // device
  DevArray<unsigned char> input;
  DevArray<size_t> in_off, n, x8_off, n8_cum, f_off;
  DevArray<Chunk> stat_chunks, cond_chunks;
  DevArray<int> first_chunk;
  DevArray<double> sums, mean, ref;
  DevArray<unsigned long long> clipped, clipped_clip, bad;
  DevArray<float> raw8, x8, level, sorted, on, off, key, median;
  DevArray<Tile> tiles, etiles;
  DevArray<Candidate> cands;
  DevArray<int32_t> count, path;
  DevArray<uint8_t> anchor, back;
  DevArray<int> start, pos, seg_start, seg_count, apply;
  DevArray<long long> prev_key, next_key, prev_scan, next_scan;
  DevArray<float> f0, best, voicing, nccf, rms, inten, ninten;
  DevArray<float> win1, win2;
  DevArray<unsigned char> temp;
  std::vector<size_t> h_f_off;
  std::vector<int> clip_index;  // batch index of each clip of the group
  Event e0, e1, e2, e3;
  // Review fix: when an exception unwinds run_batch while the other stream's group is still in
  // flight, its async copies may still target hres and read staging/htab; wait for the stream
  // before those members are freed (errors ignored).
  GroupRun() = default;
  GroupRun(const GroupRun&) = delete;
  GroupRun& operator=(const GroupRun&) = delete;
  ~GroupRun() {
    if (stream.s) cudaStreamSynchronize(stream.s);
  }
};

template <class T>
void launch_group(GroupRun& g, const std::vector<ClipInput>& clips, const std::vector<int>& members,
                  const ps::ProsodyOptions& o, const Params& prm, const std::vector<float>& w1, double ws1,
                  const std::vector<float>& w2, double ws2, bool pinned_input) {
  cudaStream_t s = g.stream.s;
  const int C = int(members.size());
  g.clip_index = members;
  std::vector<size_t> in_off(C), n(C), x8_off(C), n8_cum(C + 1, 0), f_off(C + 1, 0);
  size_t total_in = 0, total_x8 = 0;
  for (int c = 0; c < C; ++c) {
    const ClipInput& ci = clips[size_t(members[size_t(c)])];
    in_off[c] = total_in;
    n[c] = ci.n;
    total_in += ci.n;
    const size_t n8 = (ci.n + 1) / 2;
    x8_off[c] = total_x8;
    total_x8 += n8 + 2 * size_t(prm.pad);
    n8_cum[c + 1] = n8_cum[c] + n8;
    const size_t frames = ps::frame_count(ci.n, 16000.0, o.f0.hop_seconds,
                                          std::max(o.rms_window_seconds, o.f0.window_seconds));
    f_off[c + 1] = f_off[c] + frames;
  }
  const size_t F = f_off[C];
  g.h_f_off = f_off;
  // Work tables (host-built: a few entries per second of audio).
  std::vector<Chunk> stat_chunks, cond_chunks;
  std::vector<int> first_chunk(C + 1, 0);
  std::vector<Tile> tiles, etiles;
  for (int c = 0; c < C; ++c) {
    first_chunk[c] = int(stat_chunks.size());
    for (size_t b = 0; b < n[c]; b += kStatsChunk) stat_chunks.push_back({c, b, std::min(n[c], b + kStatsChunk)});
    const size_t n8 = n8_cum[c + 1] - n8_cum[c];
    for (size_t b = 0; b < n8; b += ps::kConditionChunk) cond_chunks.push_back({c, b, std::min(n8, b + ps::kConditionChunk)});
    const size_t frames = f_off[c + 1] - f_off[c];
    for (size_t b = 0; b < frames; b += kTileFrames) tiles.push_back({c, int(std::min<size_t>(kTileFrames, frames - b)), b});
    for (size_t b = 0; b < frames; b += kEnergyTileFrames)
      etiles.push_back({c, int(std::min<size_t>(kEnergyTileFrames, frames - b)), b});
  }
  first_chunk[C] = int(stat_chunks.size());
  // Shared memory: the widest tile.
  size_t span_max = 0, espan_max = 0;
  for (const Tile& t : tiles) {
    span_max = std::max(span_max, size_t(frame_centre(prm, t.first + size_t(t.count) - 1) - frame_centre(prm, t.first) +
                                         2 * prm.pad));
  }
  const int len_max = int(std::max(w1.size(), w2.size()));
  for (const Tile& t : etiles) {
    espan_max = std::max(espan_max, size_t(std::lround(double(t.first + size_t(t.count) - 1) * o.f0.hop_seconds * 16000.0) -
                                           std::lround(double(t.first) * o.f0.hop_seconds * 16000.0) + len_max));
  }
  const size_t smem = (span_max + 1) * sizeof(double) + span_max * sizeof(float) +
                      size_t(kTileFrames) * size_t(prm.nk) * sizeof(float);
  const size_t esmem = espan_max * sizeof(float);
  int dev = 0, smem_limit = 0;
  check(cudaGetDevice(&dev), "querying the device");
  check(cudaDeviceGetAttribute(&smem_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev), "querying shared memory");
  // Review fix: static shared memory (the BlockScan storage of candidates_kernel) counts against
  // the same opt-in limit as the dynamic part, so the dynamic maximum is the limit minus it.
  cudaFuncAttributes cand_attr{}, int_attr{};
  check(cudaFuncGetAttributes(&cand_attr, candidates_kernel), "querying the candidates kernel");
  check(cudaFuncGetAttributes(&int_attr, intensity_kernel<T>), "querying the intensity kernel");
  const size_t cand_dyn_max = size_t(smem_limit) - std::min(size_t(smem_limit), cand_attr.sharedSizeBytes);
  const size_t int_dyn_max = size_t(smem_limit) - std::min(size_t(smem_limit), int_attr.sharedSizeBytes);
  if (smem > cand_dyn_max || esmem > int_dyn_max) {
    throw Error(ErrorCode::InvalidArg, "prosody options need " + std::to_string(std::max(smem, esmem)) +
                                           " bytes of shared memory per block; this GPU offers " +
                                           std::to_string(std::min(cand_dyn_max, int_dyn_max)) +
                                           " (use a shorter hop, a higher f0Min or a "
                                           "higher intensity minimum pitch, or the CPU backend)");
  }
  // Review fix: the attribute is process-wide per kernel. Setting it to this group's own need let a
  // concurrent batch on another thread (or device-wide state left by one) lower it below what this
  // launch asks for; the device maximum is the same value in every call, so there is no race.
  check(cudaFuncSetAttribute(candidates_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(cand_dyn_max)),
        "configuring the candidates kernel");
  check(cudaFuncSetAttribute(intensity_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(int_dyn_max)),
        "configuring the intensity kernel");

  keep_pool_memory();
  const int stride = prm.max_candidates + 1;
  // Work tables: packed into page-locked memory, one upload.
  Packing tp;
  const size_t t_in_off = tp.add<size_t>(C), t_n = tp.add<size_t>(C), t_x8 = tp.add<size_t>(C),
               t_n8 = tp.add<size_t>(C + 1), t_f = tp.add<size_t>(C + 1), t_sc = tp.add<Chunk>(stat_chunks.size()),
               t_cc = tp.add<Chunk>(cond_chunks.size()), t_fc = tp.add<int>(C + 1), t_ti = tp.add<Tile>(tiles.size()),
               t_et = tp.add<Tile>(etiles.size()), t_w1 = tp.add<float>(w1.size()), t_w2 = tp.add<float>(w2.size());
  g.htab.reserve(tp.bytes);
  auto put = [&](size_t off, const auto& v) {
    if (!v.empty()) std::memcpy(static_cast<unsigned char*>(g.htab.ptr) + off, v.data(), v.size() * sizeof(v[0]));
  };
  put(t_in_off, in_off), put(t_n, n), put(t_x8, x8_off), put(t_n8, n8_cum), put(t_f, f_off), put(t_sc, stat_chunks);
  put(t_cc, cond_chunks), put(t_fc, first_chunk), put(t_ti, tiles), put(t_et, etiles), put(t_w1, w1), put(t_w2, w2);
  g.dtab.alloc(tp.bytes, s, "allocating the work tables");
  unsigned char* tb0 = g.dtab.ptr;
  g.in_off.view(tb0, t_in_off, C), g.n.view(tb0, t_n, C), g.x8_off.view(tb0, t_x8, C), g.n8_cum.view(tb0, t_n8, C + 1);
  g.f_off.view(tb0, t_f, C + 1), g.stat_chunks.view(tb0, t_sc, stat_chunks.size());
  g.cond_chunks.view(tb0, t_cc, cond_chunks.size()), g.first_chunk.view(tb0, t_fc, C + 1);
  g.tiles.view(tb0, t_ti, tiles.size()), g.etiles.view(tb0, t_et, etiles.size());
  g.win1.view(tb0, t_w1, w1.size()), g.win2.view(tb0, t_w2, w2.size());
  // Scratch: one arena.
  Packing wp;
  const size_t w_sums = wp.add<double>(stat_chunks.size()), w_clip = wp.add<unsigned long long>(stat_chunks.size()),
               w_ref = wp.add<double>(C), w_med = wp.add<float>(C), w_apply = wp.add<int>(C),
               w_raw8 = wp.add<float>(total_x8), w_x8 = wp.add<float>(total_x8), w_cands = wp.add<Candidate>(F * size_t(stride)),
               w_back = wp.add<uint8_t>(F * size_t(stride)), w_anchor = wp.add<uint8_t>(F), w_count = wp.add<int32_t>(F),
               w_path = wp.add<int32_t>(F), w_start = wp.add<int>(F), w_pos = wp.add<int>(F), w_seg = wp.add<int>(F),
               w_segc = wp.add<int>(1);
  size_t w_f[5], w_ll[4];
  for (size_t& o : w_f) o = wp.add<float>(F);        // level, sorted, on, off, key
  for (size_t& o : w_ll) o = wp.add<long long>(F);   // prev/next keys and scans
  g.dwork.alloc(wp.bytes, s, "allocating prosody scratch on the device");
  unsigned char* wb = g.dwork.ptr;
  g.sums.view(wb, w_sums, stat_chunks.size()), g.clipped.view(wb, w_clip, stat_chunks.size());
  g.ref.view(wb, w_ref, C), g.median.view(wb, w_med, C), g.apply.view(wb, w_apply, C);
  g.raw8.view(wb, w_raw8, total_x8), g.x8.view(wb, w_x8, total_x8), g.cands.view(wb, w_cands, F * size_t(stride));
  g.back.view(wb, w_back, F * size_t(stride)), g.anchor.view(wb, w_anchor, F), g.count.view(wb, w_count, F);
  g.path.view(wb, w_path, F), g.start.view(wb, w_start, F), g.pos.view(wb, w_pos, F), g.seg_start.view(wb, w_seg, F);
  g.seg_count.view(wb, w_segc, 1);
  DevArray<float>* fs[5] = {&g.level, &g.sorted, &g.on, &g.off, &g.key};
  for (int k = 0; k < 5; ++k) fs[k]->view(wb, w_f[k], F);
  DevArray<long long>* ls[4] = {&g.prev_key, &g.next_key, &g.prev_scan, &g.next_scan};
  for (int k = 0; k < 4; ++k) ls[k]->view(wb, w_ll[k], F);
  // Results: one block, one download into page-locked memory.
  Packing rp;
  DevArray<float>* tracks[7] = {&g.f0, &g.best, &g.voicing, &g.nccf, &g.rms, &g.inten, &g.ninten};
  for (int k = 0; k < 7; ++k) g.r_off[k] = rp.add<float>(F);
  g.r_off[7] = rp.add<double>(C);
  g.r_off[8] = rp.add<unsigned long long>(C);
  g.r_off[9] = rp.add<unsigned long long>(1);
  g.dres.alloc(rp.bytes, s, "allocating prosody results on the device");
  g.hres.reserve(rp.bytes);
  for (int k = 0; k < 7; ++k) tracks[k]->view(g.dres.ptr, g.r_off[k], F);
  g.mean.view(g.dres.ptr, g.r_off[7], C), g.clipped_clip.view(g.dres.ptr, g.r_off[8], C), g.bad.view(g.dres.ptr, g.r_off[9], 1);
  g.input.alloc(total_in * sizeof(T), s, "allocating the audio on the device");
  if (!pinned_input) g.staging.reserve(total_in * sizeof(T));
  // CUB scratch: the largest of the sorts and scans (size queries read no data).
  // (Review fix: t initialised and the size queries checked; a failed query left it indeterminate.)
  size_t tb = 0, t = 0;
  check(cub::DeviceSegmentedSort::SortKeys(nullptr, t, g.level.ptr, g.sorted.ptr, int(F), C, g.f_off.ptr,
                                           g.f_off.ptr + 1, s),
        "sizing the sort scratch");
  tb = std::max(tb, t);
  t = 0;
  check(cub::DeviceScan::ExclusiveSum(nullptr, t, g.start.ptr, g.pos.ptr, int(F), s), "sizing the scan scratch");
  tb = std::max(tb, t);
  t = 0;
  check(cub::DeviceScan::InclusiveScan(nullptr, t, g.prev_key.ptr, g.prev_scan.ptr, MaxOp{}, int(F), s),
        "sizing the scan scratch");
  tb = std::max(tb, t);
  g.temp.alloc(std::max<size_t>(tb, 1), s, "allocating sort scratch");

  // Uploads: the audio (from the caller's page-locked memory, or through this stream's
  // page-locked staging), then the tables. e0..e3 bracket upload, kernels and download.
  check(cudaEventRecord(g.e0.e, s), "recording an event");
  for (int c = 0; c < C; ++c) {
    const ClipInput& ci = clips[size_t(members[size_t(c)])];
    const void* src = std::is_same<T, float>::value ? static_cast<const void*>(ci.f32) : static_cast<const void*>(ci.s16);
    const size_t bytes = ci.n * sizeof(T);
    if (!bytes) continue;
    if (!pinned_input) {
      std::memcpy(static_cast<unsigned char*>(g.staging.ptr) + in_off[c] * sizeof(T), src, bytes);
      src = static_cast<unsigned char*>(g.staging.ptr) + in_off[c] * sizeof(T);
    }
    check(cudaMemcpyAsync(g.input.ptr + in_off[c] * sizeof(T), src, bytes, cudaMemcpyHostToDevice, s),
          "uploading the audio");
  }
  check(cudaMemcpyAsync(g.dtab.ptr, g.htab.ptr, tp.bytes, cudaMemcpyHostToDevice, s), "uploading the work tables");
  check(cudaEventRecord(g.e1.e, s), "recording an event");

  const Layout L{C, g.in_off.ptr, g.n.ptr, g.x8_off.ptr, g.n8_cum.ptr, g.f_off.ptr};
  const T* in = reinterpret_cast<const T*>(g.input.ptr);

  // Stats, conditioning, levels.
  check(cudaMemsetAsync(g.bad.ptr, 0xff, sizeof(unsigned long long), s), "clearing the error flag");
  check(cudaMemsetAsync(g.raw8.ptr, 0, total_x8 * sizeof(float), s), "clearing the 8 kHz signal");
  check(cudaMemsetAsync(g.x8.ptr, 0, total_x8 * sizeof(float), s), "clearing the 8 kHz signal");
  if (!stat_chunks.empty())
    stats_kernel<T><<<unsigned(stat_chunks.size()), 256, 0, s>>>(in, L, g.stat_chunks.ptr, g.sums.ptr, g.clipped.ptr, g.bad.ptr);
  clip_stats_kernel<<<blocks_for(size_t(C), 128), 128, 0, s>>>(C, g.first_chunk.ptr, g.sums.ptr, g.clipped.ptr, g.n.ptr,
                                                                g.mean.ptr, g.clipped_clip.ptr);
  if (n8_cum[C]) decimate_kernel<T><<<blocks_for(n8_cum[C], 256), 256, 0, s>>>(in, L, prm, g.raw8.ptr);
  if (!cond_chunks.empty())
    condition_kernel<<<blocks_for(cond_chunks.size(), 64), 64, 0, s>>>(L, prm, g.cond_chunks.ptr, int(cond_chunks.size()),
                                                                       g.raw8.ptr, g.x8.ptr);
  if (F) {
    level_kernel<<<blocks_for(F, 128), 128, 0, s>>>(L, prm, g.x8.ptr, g.level.ptr);
    check(cub::DeviceSegmentedSort::SortKeys(g.temp.ptr, tb, g.level.ptr, g.sorted.ptr, int(F), C, g.f_off.ptr,
                                             g.f_off.ptr + 1, s),
          "sorting frame levels");
  }
  ref_level_kernel<<<blocks_for(size_t(C), 128), 128, 0, s>>>(L, prm, g.sorted.ptr, g.ref.ptr);
  if (F) {
    // Candidates, anchors, segments, Viterbi (twice with the range prior), outputs.
    candidates_kernel<<<unsigned(tiles.size()), kTileThreads, smem, s>>>(L, prm, g.tiles.ptr, g.x8.ptr, g.level.ptr,
                                                                        g.ref.ptr, g.cands.ptr, g.count.ptr);
    anchors_kernel<<<blocks_for(F, 256), 256, 0, s>>>(L, prm, g.level.ptr, g.ref.ptr, g.cands.ptr, g.count.ptr, g.on.ptr,
                                                      g.off.ptr, g.anchor.ptr, g.start.ptr, g.path.ptr);
    check(cub::DeviceScan::ExclusiveSum(g.temp.ptr, tb, g.start.ptr, g.pos.ptr, int(F), s), "numbering segments");
    scatter_starts_kernel<<<blocks_for(F, 256), 256, 0, s>>>(F, g.start.ptr, g.pos.ptr, g.seg_start.ptr, g.seg_count.ptr);
    auto viterbi = [&]() {
      viterbi_kernel<<<blocks_for(F, 64), 64, 0, s>>>(L, prm, g.seg_start.ptr, g.seg_count.ptr, g.cands.ptr, g.count.ptr,
                                                      g.on.ptr, g.off.ptr, g.anchor.ptr, g.back.ptr, g.path.ptr);
    };
    viterbi();
    if (prm.range_prior_cost > 0) {
      prior_keys_kernel<<<blocks_for(F, 256), 256, 0, s>>>(F, stride, g.cands.ptr, g.path.ptr, g.key.ptr);
      check(cub::DeviceSegmentedSort::SortKeys(g.temp.ptr, tb, g.key.ptr, g.sorted.ptr, int(F), C, g.f_off.ptr,
                                               g.f_off.ptr + 1, s),
            "sorting first-pass F0");
      prior_median_kernel<<<blocks_for(size_t(C), 128), 128, 0, s>>>(L, prm, g.sorted.ptr, g.median.ptr, g.apply.ptr);
      prior_apply_kernel<<<blocks_for(F, 256), 256, 0, s>>>(L, prm, g.median.ptr, g.apply.ptr, g.cands.ptr, g.count.ptr);
      viterbi();
    }
    output_kernel<<<blocks_for(F, 256), 256, 0, s>>>(F, stride, g.cands.ptr, g.count.ptr, g.path.ptr, g.f0.ptr, g.best.ptr,
                                                     g.voicing.ptr, g.nccf.ptr, g.prev_key.ptr, g.next_key.ptr);
    check(cub::DeviceScan::InclusiveScan(g.temp.ptr, tb, g.prev_key.ptr, g.prev_scan.ptr, MaxOp{}, int(F), s),
          "scanning voiced frames");
    check(cub::DeviceScan::InclusiveScan(g.temp.ptr, tb, g.next_key.ptr, g.next_scan.ptr, MaxOp{}, int(F), s),
          "scanning voiced frames");
    guess_kernel<<<blocks_for(F, 256), 256, 0, s>>>(L, stride, g.cands.ptr, g.count.ptr, g.prev_scan.ptr,
                                                    g.next_scan.ptr, g.f0.ptr, g.best.ptr, g.nccf.ptr);
    // Energy tracks.
    const long rw = std::max(1L, long(std::lround(o.rms_window_seconds * 16000.0)));
    rms_kernel<T><<<blocks_for(F, 128), 128, 0, s>>>(in, L, o.f0.hop_seconds, rw, g.mean.ptr, g.rms.ptr);
    intensity_kernel<T><<<unsigned(etiles.size()), kEnergyThreads, esmem, s>>>(
        in, L, g.etiles.ptr, o.f0.hop_seconds, g.win1.ptr, int(w1.size()), ws1, g.mean.ptr, g.inten.ptr);
    intensity_kernel<T><<<unsigned(etiles.size()), kEnergyThreads, esmem, s>>>(
        in, L, g.etiles.ptr, o.f0.hop_seconds, g.win2.ptr, int(w2.size()), ws2, g.mean.ptr, g.ninten.ptr);
  }
  check(cudaGetLastError(), "launching the prosody kernels");
  check(cudaEventRecord(g.e2.e, s), "recording an event");
  check(cudaMemcpyAsync(g.hres.ptr, g.dres.ptr, rp.bytes, cudaMemcpyDeviceToHost, s), "downloading the tracks");
  check(cudaEventRecord(g.e3.e, s), "recording an event");
}

template <class T>
void collect_group(GroupRun& g, const std::vector<ClipInput>& clips, const ps::ProsodyOptions& o,
                   std::vector<ps::ProsodyTracks>& out, ProsodyTiming* timing) {
  check(cudaStreamSynchronize(g.stream.s), "running the prosody kernels");
  const unsigned char* res = static_cast<const unsigned char*>(g.hres.ptr);
  const auto* h_mean = reinterpret_cast<const double*>(res + g.r_off[7]);
  const auto* h_clipped = reinterpret_cast<const unsigned long long*>(res + g.r_off[8]);
  const unsigned long long h_bad = *reinterpret_cast<const unsigned long long*>(res + g.r_off[9]);
  if (h_bad != ~0ull) {
    // Map the flat index back to its clip and sample.
    size_t off = 0;
    for (size_t c = 0; c < g.clip_index.size(); ++c) {
      const ClipInput& ci = clips[size_t(g.clip_index[c])];
      if (h_bad < off + ci.n) {
        const size_t i = size_t(h_bad - off);
        const float v = ci.f32 ? ci.f32[i] : 0.f;
        throw Error(ErrorCode::InvalidArg, "clip " + std::to_string(g.clip_index[c]) + ": sample " + std::to_string(i) +
                                               " is " + (std::isnan(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity") +
                                               "; audio samples must be finite");
      }
      off += ci.n;
    }
  }
  for (size_t c = 0; c < g.clip_index.size(); ++c) {
    const ClipInput& ci = clips[size_t(g.clip_index[c])];
    ps::ProsodyTracks& t = out[size_t(g.clip_index[c])];
    t.analysis_rate = 16000;
    t.duration = double(ci.n) / 16000.0;
    t.dc_offset = h_mean[c];
    t.clipped_ratio = ci.n ? double(h_clipped[c]) / double(ci.n) : 0.0;
    t.f0.hop_seconds = o.f0.hop_seconds;
    const size_t b = g.h_f_off[c], e = g.h_f_off[c + 1];
    auto take = [&](int k) {
      const float* v = reinterpret_cast<const float*>(res + g.r_off[k]);
      return std::vector<float>(v + b, v + e);
    };
    t.f0.f0 = take(0);
    t.f0.best_f0 = take(1);
    t.f0.voicing = take(2);
    t.f0.nccf = take(3);
    t.rms_dbfs = take(4);
    t.intensity_db = take(5);
    t.nuclei_intensity_db = take(6);
  }
  if (timing) {
    float a = 0, b = 0, c = 0, d = 0;
    cudaEventElapsedTime(&a, g.e0.e, g.e1.e);
    cudaEventElapsedTime(&b, g.e1.e, g.e2.e);
    cudaEventElapsedTime(&c, g.e2.e, g.e3.e);
    cudaEventElapsedTime(&d, g.e0.e, g.e3.e);
    timing->gpu_ms += d;
    timing->h2d_ms += a;
    timing->compute_ms += b;
    timing->d2h_ms += c;
    timing->frames += g.h_f_off.back();
    for (int ix : g.clip_index) timing->samples += clips[size_t(ix)].n;
  }
}

template <class T>
std::vector<ps::ProsodyTracks> run_batch(const std::vector<ClipInput>& clips, const ps::ProsodyOptions& o,
                                         ProsodyTiming* timing, bool pinned_input) {
  const Params prm = make_params(o.f0);
  double ws1 = 0, ws2 = 0;
  const std::vector<float> w1 = ps::intensity_window(o.intensity_min_pitch, 16000.0, &ws1);
  const std::vector<float> w2 = ps::intensity_window(o.nuclei_min_pitch, 16000.0, &ws2);
  std::vector<ps::ProsodyTracks> out(clips.size());
  // Groups of whole clips, ≤ kGroupSamples each (one longer clip is a group of its own).
  std::vector<std::vector<int>> groups(1);
  size_t acc = 0;
  for (size_t i = 0; i < clips.size(); ++i) {
    if (acc > 0 && acc + clips[i].n > kGroupSamples) {
      groups.emplace_back();
      acc = 0;
    }
    groups.back().push_back(int(i));
    acc += clips[i].n;
  }
  const auto t0 = std::chrono::steady_clock::now();
  // Two streams, alternating: group k+1 is uploaded while group k computes.
  std::unique_ptr<GroupRun> runs[2] = {std::make_unique<GroupRun>(), std::make_unique<GroupRun>()};
  for (size_t k = 0; k < groups.size(); ++k) {
    GroupRun& g = *runs[k % 2];
    if (k >= 2) collect_group<T>(g, clips, o, out, timing);  // the run this stream did two groups ago
    launch_group<T>(g, clips, groups[k], o, prm, w1, ws1, w2, ws2, pinned_input);
  }
  for (size_t k = groups.size() >= 2 ? groups.size() - 2 : 0; k < groups.size(); ++k)
    collect_group<T>(*runs[k % 2], clips, o, out, timing);
  if (timing)
    timing->total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// Returns true for an int16 batch. (Review fix: the element type is taken from any clip with a
// pointer; reading clips[0].s16 treated an int16 batch whose first clip is empty (n = 0, no
// pointer) as float and then read the null f32 pointers of the others.)
bool validate_batch(const std::vector<ClipInput>& clips, const ps::ProsodyOptions& o, bool options_resolved) {
  if (!options_resolved) ps::cuda_batch_options(o);  // the CUDA host entry's option rules (batch.hpp)
  bool any_f32 = false, any_s16 = false;
  for (size_t i = 0; i < clips.size(); ++i) {
    if (clips[i].n && !clips[i].f32 && !clips[i].s16)
      throw Error(ErrorCode::InvalidArg, "clip " + std::to_string(i) + " has no samples pointer");
    any_f32 |= clips[i].f32 != nullptr;
    any_s16 |= clips[i].s16 != nullptr;
  }
  if (any_f32 && any_s16) throw Error(ErrorCode::InvalidArg, "a batch must be all float32 or all int16 clips");
  return any_s16;
}

}  // namespace

std::vector<ps::ProsodyTracks> prosody_tracks_batch(const std::vector<ClipInput>& clips, const ps::ProsodyOptions& o,
                                                    ProsodyTiming* timing, bool pinned_input, bool options_resolved) {
  const bool s16 = validate_batch(clips, o, options_resolved);
  if (timing) *timing = ProsodyTiming{};
  // Review fix: an empty batch (e.g. every clip of a binding call rejected) launched a group with
  // zero clips: memsets/copies of 0 bytes on null device pointers. Nothing to compute.
  if (clips.empty()) return {};
  return s16 ? run_batch<int16_t>(clips, o, timing, pinned_input) : run_batch<float>(clips, o, timing, pinned_input);
}

std::vector<ProsodyTiming> prosody_benchmark(const std::vector<ClipInput>& clips, const ps::ProsodyOptions& o,
                                             int repeats) {
  const bool s16 = validate_batch(clips, o, false);
  const size_t elem = s16 ? sizeof(int16_t) : sizeof(float);
  size_t total = 0;
  for (const ClipInput& c : clips) total += c.n;
  PinnedBuffer pinned;
  pinned.reserve(std::max<size_t>(1, total * elem));
  std::vector<ClipInput> local(clips.size());
  size_t off = 0;
  for (size_t i = 0; i < clips.size(); ++i) {
    unsigned char* dst = static_cast<unsigned char*>(pinned.ptr) + off * elem;
    if (clips[i].n)  // (an empty clip may have no pointer; memcpy from null is undefined even for 0 bytes)
      std::memcpy(dst, s16 ? static_cast<const void*>(clips[i].s16) : static_cast<const void*>(clips[i].f32),
                  clips[i].n * elem);
    local[i].n = clips[i].n;
    if (s16) local[i].s16 = reinterpret_cast<const int16_t*>(dst);
    else local[i].f32 = reinterpret_cast<const float*>(dst);
    off += clips[i].n;
  }
  std::vector<ProsodyTiming> out;
  for (int r = -1; r < repeats; ++r) {  // r = -1: warm-up (module load, pool growth)
    ProsodyTiming t;
    prosody_tracks_batch(local, o, &t, true, true);
    if (r >= 0) out.push_back(t);
  }
  return out;
}

}  // namespace et::cuda
