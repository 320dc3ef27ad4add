// Prosody tracks for many clips at once on the GPU (the CUDA prosody issue): decimation, the
// conditioning filters, frame levels, F0 candidates, the Viterbi path, RMS and both intensity
// contours, batched across clips. The arithmetic is the CPU tracker's (native/prosody/f0_steps.hpp,
// energy_steps.hpp); the split of the sequential parts is the one native/prosody/f0_staged.cpp
// runs and tests on the CPU. The host finishes each clip with prosody::finish_analysis.
// No CUDA headers here, so the bindings compile with a plain C++ compiler.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../prosody/prosody.hpp"

namespace et::cuda {

// One clip at the analysis rate (16 kHz): float samples, or int16 read as s / 32768.
struct ClipInput {
  const float* f32 = nullptr;
  const int16_t* s16 = nullptr;
  size_t n = 0;
};

struct ProsodyTiming {
  // CUDA events (summed over groups): upload of audio and tables, kernels, download of the tracks,
  // and first upload → last download. total_ms: wall clock of the whole call, host work included.
  double h2d_ms = 0, compute_ms = 0, d2h_ms = 0, gpu_ms = 0, total_ms = 0;
  size_t frames = 0, samples = 0;
};

// Per-frame tracks of every clip (duration = n / 16 kHz, clipped ratio and DC offset of the given
// samples). Requires o.analysis_rate == 16000. Throws ERR_INVALID_ARG for options or samples the
// CPU path rejects (naming the clip and the first non-finite sample), ERR_CUDA / ERR_OUT_OF_MEMORY
// for device failures. `pinned_input`: the samples are in page-locked memory (cudaHostAlloc), so
// the upload runs at full bus speed. `options_resolved`: o came from prosody::cuda_batch_options
// (native/prosody/batch.hpp) and is not checked again.
std::vector<prosody::ProsodyTracks> prosody_tracks_batch(const std::vector<ClipInput>& clips,
                                                         const prosody::ProsodyOptions& o,
                                                         ProsodyTiming* timing = nullptr, bool pinned_input = false,
                                                         bool options_resolved = false);

// Benchmark: copies the clips once into page-locked host memory (as a decoder writing into
// pinned buffers would), runs one warm-up batch, then `repeats` timed batches (host int16/float →
// device → tracks → host). Returns the per-repeat timings.
std::vector<ProsodyTiming> prosody_benchmark(const std::vector<ClipInput>& clips, const prosody::ProsodyOptions& o,
                                             int repeats);

}  // namespace et::cuda
