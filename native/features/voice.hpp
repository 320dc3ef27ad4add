// Voice quality and spectral balance per utterance, after the eGeMAPS parameter set (Eyben et
// al. 2016, IEEE Trans. Affective Computing 7(2)), computed along a given F0 track:
//  - HNR (dB): per voiced frame, the normalised autocorrelation r of the full-band signal at the
//    tracked period (best of the lags within ±2 samples of it, parabolic refinement), over a
//    window of `hnr_periods` periods (at least `window_seconds`) centred on the frame;
//    HNR = 10·log10(r / (1 − r)), r clamped to [0.001, 0.999] (±30 dB). For a periodic signal
//    plus white noise r = S / (S + N), so HNR is the SNR.
//  - Jitter and shimmer (local): in each voiced stretch (consecutive voiced frames, at least
//    `min_stretch_frames`), glottal cycle marks are picked from the signal: the highest sample in
//    the first period, then the highest sample within ±`mark_search` periods of one local period
//    (from the track) after the previous mark, with parabolic refinement. Periods between marks
//    outside [1/f0_max, 1/f0_min] or changing by more than `max_period_factor` from the previous
//    one break the sequence (Praat's rules). jitter = mean |T(i) − T(i−1)| / mean T over pairs
//    of valid periods; shimmer = mean |A(i) − A(i−1)| / mean A with A the (refined) peak
//    amplitude at each mark, over the two marks of each valid period; shimmer dB =
//    mean |20·log10(A(i) / A(i−1))|. Pooled over the clip's stretches. (A waveform-matching
//    "cc" period estimate was tried and dropped: integer-lag NCCF with parabolic refinement
//    under-read a 1 % alternating jitter as 0.15 %.)
//  - Spectral balance per frame (Hamming window of `window_seconds` centred on the F0 frame,
//    power spectrum P, no pre-emphasis): alpha ratio = 10·log10(ΣP 50–1000 Hz / ΣP 1–5 kHz);
//    Hammarberg index = 10·log10(max P 0–2 kHz / max P 2–5 kHz); spectral slopes 0–500 and
//    500–1500 Hz = least-squares slope of 10·log10 P against frequency (dB per kHz); H1−H2 =
//    10·log10 of the strongest bin within ±10 % of F0 over that within ±10 % of 2·F0 (voiced
//    frames only); spectral flux = Σ (p_t − p_{t−1})² of the power spectra normalised to unit
//    sum, between consecutive analysed frames. Voiced frames give mean and sd; unvoiced frames
//    within `unvoiced_floor_db` of the loudest frame give the unvoiced means (eGeMAPS' "UV").
// No Node headers.
#pragma once
#include <cstddef>
#include <vector>

#include "../common/options.hpp"
#include "../prosody/f0.hpp"

namespace et::features {

// The voice option set: its one definition (see common/options.hpp). Cross-field rule: f0Min < f0Max.
#define ET_VOICE_OPTIONS(X)                                                                                       \
  X(window_seconds, "windowSeconds", double, 0.04, 0, 1, ET_OPEN_MIN, "s", "spectral window and the minimum HNR window") \
  X(hnr_periods, "hnrPeriods", double, 3.0, 0, 100, ET_OPEN_MIN, "periods", "HNR window in periods of the frame's F0")   \
  X(f0_min, "f0Min", double, ::et::prosody::F0Options().f0_min, 0, 2000, ET_OPEN_MIN, "Hz",                           \
    "valid glottal periods lie in [1/f0Max, 1/f0Min] (defaults: the F0 tracker's range)")                               \
  X(f0_max, "f0Max", double, ::et::prosody::F0Options().f0_max, 0, 10000, ET_OPEN_MIN, "Hz", "see f0Min")                 \
  X(max_period_factor, "maxPeriodFactor", double, 1.3, 1, 10, ET_OPEN_MIN, "",                                          \
    "largest ratio of consecutive periods that continues a cycle sequence")                                             \
  X(mark_search, "markSearch", double, 0.2, 0, 0.5, ET_OPEN, "periods", "cycle-mark search half-width")                 \
  X(min_stretch_frames, "minStretchFrames", size_t, 3, 1, 1000000, ET_CLOSED, "frames",                                  \
    "shortest voiced stretch used for jitter and shimmer")                                                              \
  X(unvoiced_floor_db, "unvoicedFloorDb", double, 35.0, 0, 200, ET_CLOSED, "dB",                                         \
    "unvoiced frames within this of the loudest frame give the unvoiced means")

struct VoiceOptions {
  ET_VOICE_OPTIONS(ET_OPTION_FIELD)
};

// The table of ET_VOICE_OPTIONS (voice.cpp), and the validation against it (ERR_INVALID_ARG
// naming the option; voice_stats runs it once per call).
extern const options::Spec<VoiceOptions> kVoiceOptionSpecs[];
extern const size_t kVoiceOptionCount;
void validate(const VoiceOptions& o);

struct VoiceStats {
  size_t voiced_frames = 0, unvoiced_frames = 0, periods = 0;
  // NaN where undefined (no voiced frames, no usable periods, no unvoiced frames, ...).
  double hnr_mean, hnr_sd;
  double jitter_local, shimmer_local, shimmer_db;
  double alpha_mean, alpha_sd, hammarberg_mean, hammarberg_sd;
  double slope_lo_mean, slope_lo_sd, slope_hi_mean, slope_hi_sd;  // 0–500, 500–1500 Hz; dB/kHz
  double h1h2_mean, h1h2_sd;
  double flux_mean, flux_sd;
  double alpha_uv, hammarberg_uv, slope_lo_uv, slope_hi_uv;
};

// samples: mono at `rate` Hz (≥ 8 kHz). f0: one value per frame, frame i centred at i·hop
// seconds, NaN (or ≤ 0) on unvoiced frames. Throws ERR_INVALID_ARG on bad arguments.
VoiceStats voice_stats(const float* samples, size_t n, double rate, const float* f0, size_t frames, double hop_seconds,
                       const VoiceOptions& opt = VoiceOptions());

}  // namespace et::features
