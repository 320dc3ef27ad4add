// Streaming prosody: the F0 tracker of f0.hpp and the frame energies of prosody.hpp, fed with
// audio as it arrives (chunks of any size) and giving each frame once, final, after a bounded
// lag. No Node headers.
//
// Same steps as track_f0 (f0_steps.hpp: conditioning, NCCF candidates, unvoiced strength, voicing
// costs, Viterbi transitions, frame outputs), arranged for a stream:
//  - Input at any rate goes to 16 kHz through StreamResampler (the same samples as resample()),
//    then to 8 kHz through the same decimation FIR and the same conditioning recursion, so the
//    signal the candidates are computed on equals track_f0's.
//  - What track_f0 takes from the whole clip comes from a bounded window here: the silence rule's
//    reference level is the levelQuantile of the frame levels of the last `referenceSeconds` up
//    to `referenceLookaheadSeconds` after the frame (histogram, 0.02 dB bins), never below
//    `referenceFloorDb` (in a leading silence the background would otherwise be its own
//    reference and noise would pass for voicing); the range prior's median is the median log F0
//    of the decided voiced frames of the last `priorSeconds` of voiced time (1-cent bins), applied
//    once rangePriorMinVoicedSeconds of them exist (track_f0 runs a second pass instead). The
//    reference takes only levels up to a fixed frame offset, so the output does not depend on
//    how the audio is chunked.
//  - Viterbi, fixed lag with exact early decisions: after each frame the back pointers of every
//    live state are followed back; where they all meet, the path up to there is the path any
//    future frame will give (the whole-clip decoder would decide the same), so those frames are
//    emitted. A frame still undecided `maxLagSeconds` after it entered the decoder is decided on
//    the best path so far and the decoder continues pinned to that choice. Silence (frames with
//    no voiced candidate) decides everything before it at once.
//  - Lag of a frame: its data (the reference lookahead, NCCF window ≈ 16 ms past the frame centre,
//    the level-trend term's voicingTrendSeconds ahead, the resampler's half filter length)
//    plus the decoder's decision delay, which is at most maxLagSeconds. lag_bound_seconds() gives
//    the total bound; frames are never revised once emitted.
//  - Unvoiced frames' best guess: the candidate nearest the last voiced frame before them (track_f0
//    also looks ahead).
//  - Energies: frame RMS (dBFS) and intensity (dB) as compute_tracks computes them (also handed
//    out on their own as soon as their windows are complete, for turn segmentation), without the
//    whole-clip DC removal (a stream has no clip mean: the samples are used as they are, and
//    samples beyond the ends count as zero).
// Memory is bounded by the options (windows, histograms, the lag), whatever the stream's length:
// push() works through its input in slices, so even a very long chunk holds only one slice of
// intermediate signal (the frames and 16 kHz samples it yields are the caller's to take).
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "../audio/resample_stream.hpp"
#include "f0_steps.hpp"
#include "prosody.hpp"

namespace et {
namespace prosody {

// The streaming option set: its one definition (see common/options.hpp).
#define ET_STREAM_OPTIONS(X)                                                                                     \
  X(max_lag_seconds, "maxLagSeconds", double, 0.5, 0.05, 5, ET_CLOSED, "s",                                      \
    "longest a frame waits for the F0 paths to meet before it is decided on the best path so far")               \
  X(reference_seconds, "referenceSeconds", double, 30, 1, 3600, ET_CLOSED, "s",                                  \
    "history of frame levels whose levelQuantile is the silence rule's reference level")                          \
  X(reference_lookahead_seconds, "referenceLookaheadSeconds", double, 1.0, 0, 5, ET_CLOSED, "s",                \
    "frame levels after a frame that enter its reference level (F0 frames wait this long; energies do not)")    \
  X(reference_floor_db, "referenceFloorDb", double, -50, -200, 0, ET_CLOSED, "dB",                             \
    "lowest reference level (frame RMS re full scale; -200: none): in leading silence the background is "        \
    "not its own reference")                                                                                      \
  X(prior_seconds, "priorSeconds", double, 60, 1, 3600, ET_CLOSED, "s",                                          \
    "voiced time whose median F0 centres the range prior")

struct StreamOptions {
  ET_STREAM_OPTIONS(ET_OPTION_FIELD)
};
extern const options::Spec<StreamOptions> kStreamOptionSpecs[];
extern const size_t kStreamOptionCount;

// The energies of one frame, out as soon as their windows are complete (ahead of the F0 frames).
struct StreamEnergy {
  uint64_t index = 0;
  float rms_dbfs = 0, intensity_db = 0;
};

// One frame, final. index: frame number (centre at index · hop seconds of the stream).
struct StreamFrame {
  uint64_t index = 0;
  float f0 = 0, best_f0 = 0, voicing = 0, nccf = 0, rms_dbfs = 0, intensity_db = 0;
};

// A sliding-window quantile over values binned in [lo, lo + bins·width): add/remove O(1), query
// amortised O(1) while the quantile moves little. Bin 0 also holds everything below lo.
class RunningQuantile {
 public:
  RunningQuantile(double lo, double width, size_t bins, size_t window);
  void add(double v);  // the oldest value leaves once `window` values are held
  size_t size() const { return n_; }
  // Bin of the value of rank r (0-based, r < size()), and a bin's centre.
  size_t rank_bin(size_t r);
  double centre(size_t bin) const { return lo_ + (double(bin) + 0.5) * width_; }

 private:
  double lo_, width_;
  std::vector<uint32_t> hist_;
  std::vector<uint32_t> ring_;
  size_t window_, head_ = 0, n_ = 0, cur_ = 0;
  uint64_t below_ = 0;  // values in bins < cur_
};

class ProsodyStream {
 public:
  // input_rate: the rate of the pushed samples (converted to o.analysis_rate, which must be 16 kHz).
  // Throws ERR_INVALID_ARG naming a bad option or rate.
  ProsodyStream(double input_rate, const ProsodyOptions& o = ProsodyOptions(), const StreamOptions& so = StreamOptions());
  // Appends n samples. Throws ERR_INVALID_ARG naming the first sample that is not finite or beyond
  // ±16 (nothing of the chunk is used then), or when called after finish().
  void push(const float* x, size_t n);
  // End of the stream: the remaining frames are decided (as track_f0 ends its path). Idempotent.
  void finish();
  // Moves out the frames decided, the 16 kHz samples and (when asked) the frame energies made
  // since the last call.
  void take(std::vector<StreamFrame>& frames, std::vector<float>& samples16k, std::vector<StreamEnergy>* energies = nullptr);
  double hop_seconds() const { return o_.f0.hop_seconds; }
  // Upper bound on the delay from a frame's centre to its emission (at most this much audio
  // after the frame centre must be pushed before the frame is out).
  double lag_bound_seconds() const;
  bool finished() const { return finished_; }
  uint64_t frames_emitted() const { return emitted_; }
  // Frames decided at maxLagSeconds rather than where the paths met (for tests and tuning).
  uint64_t forced_decisions() const { return forced_; }
  // Elements held in internal buffers (for tests of bounded memory).
  size_t buffered() const;

 private:
  ProsodyOptions o_;
  StreamOptions so_;
  steps::Params prm_;
  int stride_ = 0;
  long H_ = 1;  // half width of the local level window (trend frames, at least 1)
  long A_ = 1;  // levels needed after a frame before it enters the decoder: max(H_, lookahead)
  size_t lag_frames_ = 0;
  StreamResampler rs_;
  bool finished_ = false;
  uint64_t total_frames_ = 0;  // once finished
  uint64_t n16_ = 0;           // 16 kHz samples so far

  // 16 kHz signal from x16_base_ (for decimation and energies), 16 kHz output not yet taken.
  std::vector<float> x16_, out16_, slice16_;
  uint64_t x16_base_ = 0;
  // 8 kHz conditioned signal in track_f0's padded coordinates from x8_base_, with running
  // sums of squares (P_[k] = Σ x8² over [x8_base_, x8_base_ + k)).
  std::vector<float> x8_;
  std::vector<double> P_;
  uint64_t x8_base_ = 0, n8_ = 0;  // n8_: body samples decimated so far
  bool x8_tail_ = false;           // end padding appended
  steps::ConditionState cond_;

  // Frame levels from lev_base_, and their reference-level histogram.
  std::deque<float> levels_;
  uint64_t lev_base_ = 0, next_level_ = 0, ref_fed_ = 0;
  RunningQuantile ref_q_;
  double ref_floor_ = 0;
  // Energies of frames from en_base_.
  std::vector<float> intensity_w_;
  double intensity_wsum_ = 0;
  long rms_len_ = 1;
  std::deque<std::pair<float, float>> energies_;
  uint64_t en_base_ = 0, next_energy_ = 0;

  // Decoder window: frames [win_start_, win_end_) undecided, win_start_ − 1 decided (its slot kept
  // for the pinned restart); ring slots frame % cap_.
  size_t cap_ = 0;
  std::vector<steps::Candidate> cands_;
  std::vector<int32_t> count_;
  std::vector<float> on_, off_;
  std::vector<uint8_t> back_;
  std::vector<float> r_, loc_;
  std::vector<int> path_;
  float score_[steps::kMaxKept], lf_[steps::kMaxKept];
  uint64_t win_start_ = 0, win_end_ = 0;
  // Range prior.
  RunningQuantile prior_q_;
  // Decided frames waiting for their energies, and frames ready to take.
  std::deque<StreamFrame> decided_;
  std::vector<StreamFrame> ready_;
  std::vector<StreamEnergy> energy_out_;
  bool has_voiced_ = false;
  float last_voiced_f0_ = 0;
  uint64_t emitted_ = 0, forced_ = 0;

  uint64_t frames_known() const;
  long centre8(uint64_t i) const { return steps::frame_centre(prm_, i); }
  long centre16(uint64_t i) const;
  float x16_at(uint64_t i) const { return x16_[size_t(i - x16_base_)]; }
  double energy8(long s, int len) const;
  void process16(const float* x, size_t n);
  void decimate_available();
  void append8(float v);
  void advance();
  bool level_ready(uint64_t i) const;
  bool energy_ready(uint64_t i) const;
  void compute_energy(uint64_t i);
  bool candidates_ready(uint64_t i) const;
  void enter_frame(uint64_t i);
  void decide(bool at_end);
  void restart_pinned(uint64_t from, int state);
  void emit(uint64_t i, int state);
  void flush_ready();
  void trim();
};

}  // namespace prosody
}  // namespace et
