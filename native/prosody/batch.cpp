#include "batch.hpp"

#include "../common/error.hpp"
#include "../common/parallel.hpp"

namespace et {
namespace prosody {

ProsodyOptions cuda_batch_options(const ProsodyOptions& o) {
  validate(o);
  if (o.analysis_rate != 16000) {
    throw Error(ErrorCode::InvalidArg, "the CUDA prosody batch analyses at 16000 Hz; analysisRate " +
                                           options::format_number(o.analysis_rate) + " needs the CPU backend");
  }
  return o;
}

std::vector<BatchItem> analyze_batch(const std::vector<BatchClip>& clips, const ProsodyOptions& opt, const TracksBatchFn& tracks) {
  const size_t n = clips.size();
  std::vector<BatchItem> items(n);
  std::vector<AnalysisInput> prepared(n);
  std::vector<cuda::ClipInput> inputs;
  std::vector<size_t> index;
  for (size_t i = 0; i < n; ++i) {
    const BatchClip& c = clips[i];
    try {
      prepared[i] = prepare_validated(c.samples, c.n, c.rate, opt);
      inputs.push_back({prepared[i].x, nullptr, prepared[i].n});
      index.push_back(i);
    } catch (const Error& e) {
      items[i].error_code = e.code_name();
      items[i].error_message = e.what();
    }
  }
  std::vector<ProsodyTracks> t = tracks(inputs, opt);
  if (t.size() != index.size()) throw Error(ErrorCode::Internal, "the tracks function returned the wrong number of clips");
  // Finishing (silences, nuclei, functionals) is per clip on the host, in parallel.
  parallel_chunks(index.size(), 0, [&](size_t k) {
    const size_t i = index[k];
    const BatchClip& c = clips[i];
    t[k].duration = double(c.n) / c.rate;  // of the input, as analyze() reports it
    t[k].clipped_ratio = clipped_ratio(c.samples, c.n);
    items[i].result = finish_analysis(std::move(t[k]), opt);
    if (c.speech) resegment(items[i].result, *c.speech, opt.min_pause_seconds);
  });
  return items;
}

std::vector<ProsodyTracks> cpu_tracks_batch(const std::vector<cuda::ClipInput>& clips, const ProsodyOptions& o) {
  std::vector<ProsodyTracks> out(clips.size());
  for (size_t i = 0; i < clips.size(); ++i) out[i] = compute_tracks(clips[i].f32, clips[i].n, o.analysis_rate, o);
  return out;
}

}  // namespace prosody
}  // namespace et
