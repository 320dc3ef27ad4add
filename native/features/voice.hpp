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

namespace et::features {

struct VoiceOptions {
  double window_seconds = 0.04;   // spectral window and the minimum HNR window
  double hnr_periods = 3.0;       // HNR window in periods of the frame's F0
  double f0_min = 60.0, f0_max = 600.0;
  double max_period_factor = 1.3;
  double mark_search = 0.2;       // cycle-mark search half-width, in periods
  size_t min_stretch_frames = 3;
  double unvoiced_floor_db = 35.0;
};

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
