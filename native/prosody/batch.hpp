// The prosody batch pipeline of the CUDA backend, without Node and without a GPU: options
// resolved once, every clip's input prepared (per-clip errors collected in place), the per-frame
// tracks of all good clips computed by one call of a tracks function (on the GPU:
// cuda::prosody_tracks_batch), then each clip finished on the host in parallel with its input's
// duration and clipped ratio. The tests pass a CPU tracks function (cpu_tracks_batch).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "../cuda/prosody_cuda.hpp"
#include "prosody.hpp"

namespace et {
namespace prosody {

// What the CUDA host entry accepts: validate(o), and analysis at 16 kHz (the GPU pipeline's
// only rate). Returns the options the batch runs with; throws ERR_INVALID_ARG naming the option.
ProsodyOptions cuda_batch_options(const ProsodyOptions& o);

struct BatchClip {
  const float* samples = nullptr;
  size_t n = 0;
  double rate = 0;
  const std::vector<Segment>* speech = nullptr;  // VAD segments replacing the energy segmentation
};

struct BatchItem {
  ProsodyResult result;
  std::string error_code, error_message;  // empty code: ok
  bool ok() const { return error_code.empty(); }
};

// Per-frame tracks of clips already at o.analysis_rate, one per input, in order.
using TracksBatchFn = std::function<std::vector<ProsodyTracks>(const std::vector<cuda::ClipInput>&, const ProsodyOptions&)>;

// `o` must come from cuda_batch_options (or validate()): it is not validated again. Per-clip input
// errors (rate, non-finite samples) are returned in place; a failing tracks function throws.
std::vector<BatchItem> analyze_batch(const std::vector<BatchClip>& clips, const ProsodyOptions& o, const TracksBatchFn& tracks);

// A CPU tracks function with the GPU pipeline's contract (float clips at o.analysis_rate).
std::vector<ProsodyTracks> cpu_tracks_batch(const std::vector<cuda::ClipInput>& clips, const ProsodyOptions& o);

}  // namespace prosody
}  // namespace et
