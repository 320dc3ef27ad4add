// Per-frame energy formulas shared by the CPU analysis (prosody.cpp) and the CUDA batch
// (native/cuda/prosody_cuda.cu): frame RMS in dBFS and Praat-style intensity in dB.
#pragma once
#include <math.h>

#include "../common/host_device.hpp"

namespace et {
namespace prosody {
namespace steps {

constexpr double kRmsFloorDbfs = -120.0;     // RMS of digital silence
constexpr double kIntensityFloorDb = -30.0;  // intensity of digital silence (≈ RMS floor + 94 dB)

// Mean square → dBFS (full-scale square = 0 dBFS, full-scale sine = −3.01).
ET_HD inline float rms_dbfs_of(double mean_square) {
  return mean_square > 1e-12 ? float(fmax(kRmsFloorDbfs, 10 * log10(mean_square))) : float(kRmsFloorDbfs);
}

// Window-weighted moments Σw·x, Σw·x² (float) and Σw → intensity in dB re (2·10⁻⁵)²: the window
// mean is subtracted (power = m2 − m1²), so a 0 dBFS sine reads ≈ 91 dB.
ET_HD inline float intensity_db_of(float s1, float s2, double wsum) {
  const double m1 = s1 / wsum, m2 = s2 / wsum;
  const double p = m2 - m1 * m1;
  return p > 4e-10 * pow(10.0, kIntensityFloorDb / 10) ? float(10 * log10(p / 4e-10)) : float(kIntensityFloorDb);
}

}  // namespace steps
}  // namespace prosody
}  // namespace et
