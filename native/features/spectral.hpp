// Utterance-level spectral statistics for the emotion policy: log-mel energies and MFCCs per
// 10 ms frame, summarised by mean and standard deviation over the frames that carry speech.
#pragma once
#include <cstddef>
#include <vector>

namespace et::features {

struct SpectralOptions {
  double window_seconds = 0.025;
  double hop_seconds = 0.010;
  int mel_bands = 40;
  int mfcc = 13;
  double fmin = 20.0;
  double fmax = 0.0;  // 0: Nyquist
  double preemphasis = 0.97;
  // Frames more than this far below the loudest frame (dB) are left out of the statistics, so
  // leading and trailing silence does not dilute them.
  double floor_db = 50.0;
};

struct SpectralStats {
  size_t frames = 0;       // analysed frames
  size_t used_frames = 0;  // frames within floor_db of the loudest
  std::vector<float> mel_mean, mel_std;    // mel_bands each, natural-log energies
  std::vector<float> mfcc_mean, mfcc_std;  // mfcc each
  std::vector<float> delta_mfcc_std;       // mfcc each: spread of the frame-to-frame change
};

// samples: mono at `rate` Hz. Throws ERR_INVALID_ARG on bad options or a rate below 4 kHz.
// Audio shorter than one window gives zero frames and empty-but-sized vectors of zeros.
SpectralStats spectral_stats(const float* samples, size_t n, double rate, const SpectralOptions& opt = SpectralOptions());

}  // namespace et::features
