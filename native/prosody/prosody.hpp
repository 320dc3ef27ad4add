// Whole-utterance prosody: F0 (f0.hpp), energy, pauses, syllable nuclei, segments, functionals
// and the intonation class. No Node headers.
//
// Conventions: the input (any rate 8–192 kHz... any rate ≥ 2·f0_max) is resampled to
// `analysis_rate` (16 kHz default) with the package resampler; frame i is centred at i·hop
// seconds; a clip shorter than one RMS window (25 ms) gives zero frames (documented empty
// result); NaN/Inf samples are rejected with ERR_INVALID_ARG naming the first bad index; a constant
// DC offset is removed (clip mean) before energy analysis and by the tracker's DC blocker for F0.
// Missing values (functionals that need voiced frames or syllables) are NaN here; the binding
// turns them into null.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "f0.hpp"

namespace et {
namespace prosody {

// The energy/rate option set (analysis rate, energy tracks, pauses, nuclei): its one definition,
// see common/options.hpp.
#define ET_ENERGY_OPTIONS(X)                                                                                       \
  X(analysis_rate, "analysisRate", double, 16000, 8000, 192000, ET_CLOSED, "Hz", "rate the input is resampled to")       \
  X(rms_window_seconds, "rmsWindowSeconds", double, 0.025, 0.005, 0.5, ET_CLOSED, "s",                                   \
    "frame RMS window (rectangular, centred)")                                                                           \
  X(intensity_min_pitch, "intensityMinPitch", double, 100, 20, 1000, ET_CLOSED, "Hz",                                    \
    "Praat To Intensity minimum pitch (Kaiser window 6.4/minPitch s)")                                                   \
  X(nuclei_min_pitch, "nucleiMinPitch", double, 40, 20, 1000, ET_CLOSED, "Hz",                                           \
    "minimum pitch of the nucleus intensity contour (6.4/40 s = 160 ms window)")                                         \
  X(silence_db, "silenceDb", double, 25, 0, 100, ET_OPEN_MIN, "dB", "silent when intensity < q99 - silenceDb")           \
  X(noise_margin_db, "noiseMarginDb", double, 3, 0, 100, ET_CLOSED, "dB",                                                 \
    "also silent when intensity < the clip's noise floor + noiseMarginDb")                                               \
  X(noise_floor_quantile, "noiseFloorQuantile", double, 0.02, 0, 0.5, ET_CLOSED, "",                                     \
    "the intensity quantile read as the noise floor")                                                                    \
  X(noise_min_range_db, "noiseMinRangeDb", double, 10, 0, 100, ET_CLOSED, "dB",                                          \
    "the noise floor never lifts the threshold within this of q99")                                                      \
  X(min_pause_seconds, "minPauseSeconds", double, 0.25, 0, 60, ET_CLOSED, "s", "shortest silent pause")                  \
  X(min_dip_db, "minDipDb", double, 2, 0, 60, ET_CLOSED, "dB", "a nucleus must be preceded by a dip of this depth")      \
  X(nuclei_dip_after, "nucleiDipAfter", bool, false, 0, 0, ET_CLOSED, "",                                                \
    "also require a dip after the peak (before the next peak)")

struct ProsodyOptions {
  F0Options f0;  // f0.hop_seconds is the hop for every per-frame track
  ET_ENERGY_OPTIONS(ET_OPTION_FIELD)
};

// The energy/rate table (native/prosody/options.cpp); the F0 table is kF0OptionSpecs (f0.hpp).
extern const options::Spec<ProsodyOptions> kEnergyOptionSpecs[];
extern const size_t kEnergyOptionCount;

struct Segment {
  double start = 0, end = 0;  // seconds
};

struct Nucleus {
  double time = 0;          // seconds
  double intensity_db = 0;  // nuclei-contour intensity at the peak
};

// Utterance functionals; NaN = not defined for this clip (null in JSON).
struct Functionals {
  // F0 in semitones re 27.5 Hz over voiced frames
  double f0_mean_st, f0_sd_st, f0_p5_st, f0_p20_st, f0_p50_st, f0_p80_st, f0_p95_st;
  double f0_range_20_80_st, f0_range_5_95_st, f0_rising_slope_st_s, f0_falling_slope_st_s;
  double f0_median_hz;
  // intensity (dB) and RMS (dBFS) over sounding (non-silent) frames
  double intensity_mean_db, intensity_sd_db, intensity_p5_db, intensity_p20_db, intensity_p50_db,
      intensity_p80_db, intensity_p95_db;
  double rms_mean_dbfs, rms_sd_dbfs, rms_p5_dbfs, rms_p20_dbfs, rms_p50_dbfs, rms_p80_dbfs, rms_p95_dbfs;
  // segments
  double voiced_ratio, voiced_segments_per_second, voiced_segment_mean_s, voiced_segment_sd_s,
      unvoiced_segment_mean_s, unvoiced_segment_sd_s;
  // duration
  double pause_count, pause_rate_per_s, pause_mean_s, pause_total_s;
  double syllable_count, speech_rate, articulation_rate, average_syllable_duration_s;
  double phonation_time_s, phonation_ratio, duration_s;
};

// The intonation classifier's thresholds (classify_intonation; docs/formulas.md#intonation-contour):
// defined here only. The bindings expose them so that a verdict on an intonation claim can cite
// the cut points that decided it.
struct IntonationThresholds {
  double min_voiced_seconds = 0.25;  // less voiced time: too_short
  double min_confidence = 0.5;       // lower mean NCCF of the voiced frames: uncertain
  double flat_below_st = 3;          // range (p95 - p5) below this: flat
  double expressive_above_st = 9;    // range above this: expressive
  double direction_st = 2;           // end minus start at least +this: rising; at most -this: falling
  double turn_vertex_min = 0.25;     // a turn's vertex lies in [min, max] of the voiced span,
  double turn_vertex_max = 0.75;
  double turn_depth_st = 2;          // at least this deep,
  double turn_r2_gain = 0.05;        // and the quadratic fits at least this much better than the line
};
inline constexpr IntonationThresholds kIntonationThresholds{};

struct Intonation {
  std::string label;        // see intonation precedence in prosody.cpp
  std::string range_class;  // flat | moderate | expressive | "" (too short)
  std::string direction;    // rising | falling | level | ""
  std::string turn;         // rising-falling | falling-rising | none | ""
  // NaN if undefined. vertex: where the fitted quadratic turns, in units of the voiced span (0
  // start, 1 end; may lie far outside); turn_depth_st: how far the turn inside the span lies
  // beyond the nearer end (0 when the vertex is outside [0, 1]).
  double range_st = 0, direction_st = 0, turn_depth_st = 0, r2_gain = 0, vertex = 0;
  // Second derivative of the quadratic fitted to the contour over the voiced span scaled to
  // [0, 1], in semitones: negative for an arch (rising-falling), positive for a dip. The sign is
  // what tells the two turns apart; turn_depth_st alone is unsigned. NaN if undefined.
  double curvature_st = 0;
  double voiced_seconds = 0, confidence = 0;
};

struct ProsodyResult {
  double hop_seconds = F0Options().hop_seconds, duration = 0, analysis_rate = ProsodyOptions().analysis_rate,
         clipped_ratio = 0, dc_offset = 0;
  F0Track f0;
  std::vector<float> rms_dbfs, intensity_db, nuclei_intensity_db;
  double silence_threshold_db = 0;
  std::vector<Segment> voiced, unvoiced, silences, pauses, sounding;
  std::vector<Nucleus> nuclei;
  Functionals fn;
  Intonation intonation;
};

// The per-frame half of analyze(): what the CUDA batch (native/cuda/prosody_cuda.hpp) computes on
// the GPU. Equal-length tracks (zero frames for a clip shorter than one RMS window).
struct ProsodyTracks {
  double duration = 0, analysis_rate = ProsodyOptions().analysis_rate, clipped_ratio = 0, dc_offset = 0;
  F0Track f0;
  std::vector<float> rms_dbfs, intensity_db, nuclei_intensity_db;
};

// Validates against both tables (and f0Min < f0Max); throws ERR_INVALID_ARG naming the option.
// The one validation of these options: every entry runs it once per call.
void validate(const ProsodyOptions& o);

// Throws ERR_INVALID_ARG naming the first NaN/Inf sample.
void check_finite(const float* x, size_t n);

// `speech`: segments from a voice activity detector (seconds) that replace the energy-based
// speech/pause segmentation (see resegment).
ProsodyResult analyze(const float* samples, size_t n, double rate, const ProsodyOptions& o = ProsodyOptions(),
                      const std::vector<Segment>* speech = nullptr);

// Replaces the energy-based segmentation of r with the given speech segments (clamped to the
// clip) and recomputes what depends on it: silences (gaps ≥ min_pause, ends included), pauses
// (silences between speech), sounding stretches, the nuclei inside speech, and the pause,
// phonation and rate functionals.
void resegment(ProsodyResult& r, const std::vector<Segment>& speech, double min_pause);

// analyze() = finish_analysis(compute_tracks(...)). finish_analysis: silences, pauses, nuclei,
// segments, functionals and intonation from the tracks (throws if their lengths disagree).
ProsodyTracks compute_tracks(const float* samples, size_t n, double rate, const ProsodyOptions& o = ProsodyOptions());
ProsodyResult finish_analysis(ProsodyTracks&& tracks, const ProsodyOptions& o = ProsodyOptions());

// The input handling of analyze(): options and rate validated, samples checked finite, resampled
// to o.analysis_rate unless already there (then x points at the caller's samples, no copy).
struct AnalysisInput {
  std::vector<float> owned;
  const float* x = nullptr;
  size_t n = 0;
  double rate = 0;
};
AnalysisInput prepare_input(const float* samples, size_t n, double rate, const ProsodyOptions& o);
// prepare_input for options already validated (once per batch, native/prosody/batch.hpp).
AnalysisInput prepare_validated(const float* samples, size_t n, double rate, const ProsodyOptions& o);

// Share of samples at or beyond ±0.999 (clipping).
double clipped_ratio(const float* samples, size_t n);

// The Praat intensity window (Kaiser, β = 2π² + 0.5, odd length ≈ 6.4 / min_pitch s) and its sum.
std::vector<float> intensity_window(double min_pitch, double rate, double* wsum);

// Intensity (dB) of one frame: x[0..n) under the window w[0..n) (intensity_window), as the
// intensity track computes it (the streaming tracker, stream.hpp, calls it frame by frame).
float intensity_db_of_window(const float* x, const float* w, int n, double wsum);

// F0 only, with the same input handling as analyze().
F0Track analyze_f0(const float* samples, size_t n, double rate, const ProsodyOptions& o = ProsodyOptions());

// Intonation of a voiced F0 track (exposed for tests).
Intonation classify_intonation(const std::vector<float>& f0, const std::vector<float>& nccf, double hop);

}  // namespace prosody
}  // namespace et
