// F0 tracking: normalised cross-correlation candidates + Viterbi path (no Node headers).
//
// Frame convention: frame i is centred at t = i · hop seconds (t = 0 is the first sample), for
// i = 0 .. floor(duration / hop); samples outside the signal count as silence. A signal shorter
// than one analysis window (window_seconds) yields zero frames: the documented empty result.
//
// Algorithm (all parameters in F0Options; the defaults were chosen on fda-ue with the two speakers
// checked separately — every change had to help both — and on synthetic signals; see
// benchmarks/f0-accuracy.mjs and test/f0-synthetic.test.ts):
//  1. Conditioning. The signal is brought to 8 kHz (47-tap half-band FIR from 16 kHz, the package
//     resampler from any other rate), a DC blocker (1st-order high-pass at 20 Hz) removes offsets,
//     and a 4th-order Butterworth low-pass at `lowpass_hz` keeps the first harmonics, where
//     periodicity survives in voiced consonants and breathy offsets.
//  2. Candidates. For every frame, the normalised cross-correlation (NCCF, as in RAPT)
//        r(k) = Σ x[n]·x[n+k] / sqrt(Σ x[n]² · Σ x[n+k]²)
//     over a rectangular window of `window_seconds`, the two segments placed symmetrically about
//     the frame centre, for lags 1/f0_max .. 1/f0_min (and down to half the shortest lag for step 3).
//     Local maxima above `candidate_floor` are candidates, refined by parabolic interpolation
//     (lag and height); the `max_candidates` strongest are kept.
//  3. Candidate strength s = (1 − w)·r + w·r_short − subharmonic_cost·max(0, r(lag/2))
//                              − octave_cost·log2(f_top / f)
//     r_short: the NCCF at the same lag over the short `voicing_window_seconds` window (sharp
//     voicing boundaries); r(lag/2) high means the candidate spans two periods; f_top: the frame's
//     highest-NCCF candidate (a relative octave cost ranks candidates without biasing voicing).
//  4. Voicing evidence. Each frame also has an "unvoiced" candidate of strength
//        u = voicing_threshold + max(0, 2 − level / (silence_threshold / (1 + voicing_threshold)))
//     with level = RMS over `level_window_seconds` / the `level_quantile` quantile of the clip's
//     frame RMS values (Praat's silence rule, against a robust reference instead of the maximum),
//     plus a level-trend term  offset_voicing_bonus · clamp(fall / vuv_level_db, 0, 1)
//                            + onset_voicing_bonus · clamp(rise / vuv_level_db, 0, 1),
//     fall = level drop in dB from frame i to i + T, rise = level rise from i − T to i,
//     T = voicing_trend_seconds: in the last frames before the level falls (voice offsets, where
//     glottal cycles lengthen and turn irregular) and the first after it rises, a frame needs
//     clearer periodicity to count as voiced. On fda-ue this calls the doubtful edge frames
//     unvoiced (where references and trackers disagree most) and lets a lower base threshold
//     (with a slightly lower V/UV cost) recover voicing elsewhere: GPE 0.40 → 0.28 %, VDE
//     3.80 → 3.79 % (rl 0.28/4.95 → 0.19/4.88 %, sb 0.50/2.89 → 0.36/2.92 %); RAVDESS nuclei MAE
//     0.878 → 0.867. Off when vuv_level_db is 0.
//  5. Path. Viterbi maximises Σ strengths − Σ transition costs, with (per 10 ms, scaled by hop)
//     voiced→voiced: octave_jump_cost · |log2(f1/f2)|; voiced↔unvoiced: voiced_unvoiced_cost ·
//     clamp(1 ∓ Δ/vuv_level_db, vuv_min_factor, vuv_max_factor), Δ the level change in dB from
//     frame i−1 to i+1: entering voicing is cheap where the level rises and leaving it where the
//     level falls (the energy cue of RAPT's transition costs).
//     Range prior (two passes): the median log F0 m of the first path's voiced frames (when they
//     last ≥ range_prior_min_voiced_seconds) sets a second pass in which every voiced candidate
//     loses range_prior_cost · (octaves beyond range_prior_width above / range_prior_width_below
//     below m); natural speech rarely leaves ±0.7 octave of its median, octave errors do.
//  6. Outputs. f0 on the path (NaN when the path is unvoiced); best_f0: the path value, or in
//     unvoiced frames the candidate nearest in log F0 to the nearest voiced path frame (that
//     frame's F0 when the frame has no candidate; the strongest candidate when nothing in the clip
//     is voiced; NaN only when the clip has no candidate at all); voicing probability: a logistic
//     (scale 0.05) of the margin between the best voiced and the unvoiced candidate, clamped to
//     ≥ 0.5 on voiced path frames and < 0.5 on unvoiced ones, so p ≥ 0.5 ⇔ voiced.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/options.hpp"

namespace et {
namespace prosody {

// The F0 option set: its one definition (key, default, range, meaning), see common/options.hpp.
// Ranges: what the tracker is known to handle; cross-field rule: f0Min < f0Max.
#define ET_F0_OPTIONS(X)                                                                                          \
  X(hop_seconds, "hopSeconds", double, 0.01, 0.001, 0.1, ET_CLOSED, "s", "hop between frames (of every per-frame track)") \
  X(f0_min, "f0Min", double, 60.0, 20, 2000, ET_CLOSED, "Hz", "lowest F0 searched (below f0Max)")                        \
  X(f0_max, "f0Max", double, 600.0, 20, 2000, ET_CLOSED, "Hz", "highest F0 searched")                                    \
  X(window_seconds, "windowSeconds", double, 0.015, 0.005, 0.2, ET_CLOSED, "s", "NCCF window for candidates")            \
  X(voicing_window_seconds, "voicingWindowSeconds", double, 0.01, 0, 0.2, ET_CLOSED, "s",                                \
    "short NCCF window for the voicing evidence")                                                                        \
  X(voicing_weight, "voicingWeight", double, 0.8, 0, 1, ET_CLOSED, "",                                                    \
    "weight of the short-window NCCF in a candidate's strength")                                                         \
  X(level_window_seconds, "levelWindowSeconds", double, 0.015, 0, 0.2, ET_CLOSED, "s", "RMS window for the silence rule") \
  X(lowpass_hz, "lowpassHz", double, 1500, 0, 4000, ET_CLOSED, "Hz",                                                     \
    "4th-order Butterworth low-pass before the NCCF (0, or 3600 and above: off)")                                        \
  X(max_candidates, "maxCandidates", int, 10, 1, 50, ET_CLOSED, "", "voiced candidates kept per frame")                  \
  X(candidate_floor, "candidateFloor", double, 0.25, 0, 1, ET_OPEN_MAX, "", "minimum NCCF peak height for a candidate")  \
  X(octave_cost, "octaveCost", double, 0.02, 0, 1, ET_CLOSED, "", "per octave below the frame's highest NCCF peak")      \
  X(subharmonic_cost, "subharmonicCost", double, 0.1, 0, 10, ET_CLOSED, "", "times the NCCF at half the candidate's lag") \
  X(octave_jump_cost, "octaveJumpCost", double, 1.0, 0, 10, ET_CLOSED, "",                                               \
    "per octave of F0 change between frames (per 10 ms)")                                                                \
  X(voiced_unvoiced_cost, "voicedUnvoicedCost", double, 0.35, 0, 10, ET_CLOSED, "",                                      \
    "per voicing change (per 10 ms), before the level factor")                                                           \
  X(voicing_threshold, "voicingThreshold", double, 0.54, 0, 1, ET_CLOSED, "", "unvoiced-candidate base strength")        \
  X(silence_threshold, "silenceThreshold", double, 0.08, 0, 1, ET_CLOSED, "",                                            \
    "frame RMS relative to the reference level (levelQuantile)")                                                         \
  X(vuv_level_db, "vuvLevelDb", double, 8, 0, 100, ET_CLOSED, "dB",                                                      \
    "level change (frames i-1 to i+1) scaling V/UV costs and the level-trend voicing term (0: both off)")                \
  X(vuv_min_factor, "vuvMinFactor", double, 0.2, 0, 1, ET_CLOSED, "", "lower bound of that factor")                     \
  X(vuv_max_factor, "vuvMaxFactor", double, 2.0, 1, 10, ET_CLOSED, "", "upper bound of that factor")                    \
  X(level_quantile, "levelQuantile", double, 0.9, 0, 1, ET_OPEN_MIN, "",                                                 \
    "reference level for the silence rule: this quantile of frame levels")                                               \
  X(range_prior_cost, "rangePriorCost", double, 0.5, 0, 10, ET_CLOSED, "",                                               \
    "per octave beyond the widths from the first-pass median (0: off)")                                                  \
  X(range_prior_width, "rangePriorWidth", double, 0.7, 0, 10, ET_CLOSED, "octaves",                                      \
    "octaves above the first-pass median F0 without cost")                                                               \
  X(range_prior_width_below, "rangePriorWidthBelow", double, 0.7, 0, 10, ET_CLOSED, "octaves",                           \
    "octaves below the median without cost")                                                                             \
  X(range_prior_min_voiced_seconds, "rangePriorMinVoicedSeconds", double, 0.1, 0, 3600, ET_CLOSED, "s",                  \
    "first-pass voiced time needed to apply the prior")                                                                  \
  X(offset_voicing_bonus, "offsetVoicingBonus", double, 0.1, 0, 1, ET_CLOSED, "",                                        \
    "unvoiced strength added before a level fall (see step 4)")                                                          \
  X(onset_voicing_bonus, "onsetVoicingBonus", double, 0.05, 0, 1, ET_CLOSED, "", "... and after a level rise")          \
  X(voicing_trend_seconds, "voicingTrendSeconds", double, 0.04, 0, 0.5, ET_OPEN_MIN, "s", "span of those level changes")

struct F0Options {
  ET_F0_OPTIONS(ET_OPTION_FIELD)
};

// The table of ET_F0_OPTIONS (native/prosody/options.cpp), in declaration order.
extern const options::Spec<F0Options> kF0OptionSpecs[];
extern const size_t kF0OptionCount;

struct F0Track {
  double hop_seconds = F0Options().hop_seconds;
  std::vector<float> f0;           // Hz on voiced frames, NaN on unvoiced ones
  std::vector<float> best_f0;      // best guess for every frame (see header comment)
  std::vector<float> voicing;      // voicing probability in [0, 1]
  std::vector<float> nccf;         // NCCF height of the chosen/best candidate (0 if none)
  size_t frames() const { return f0.size(); }
};

// Number of frames for `samples` samples at `rate` (see the frame convention above).
size_t frame_count(size_t samples, double rate, double hop_seconds, double window_seconds);

// Validates options against ET_F0_OPTIONS and f0Min < f0Max; throws et::Error(InvalidArg) naming
// the field. Every entry below validates once; the *_validated variants are for callers that
// already did (prosody::prepare_input).
void validate(const F0Options& o);

// Tracks F0 of a mono signal at any rate ≥ 8 kHz... or lower rates down to 2·f0_max (resampled
// internally to the 8 kHz analysis rate).
F0Track track_f0(const float* samples, size_t n, double rate, const F0Options& opt = F0Options());
F0Track track_f0_validated(const float* samples, size_t n, double rate, const F0Options& opt);

}  // namespace prosody
}  // namespace et
