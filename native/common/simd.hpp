// Function multi-versioning for hot loops: the portable prebuild targets baseline x86-64, and
// this lets GCC/Clang emit an AVX2+FMA clone picked at load time on CPUs that have it.
// aarch64 (prebuilds/linux-arm64, scripts/prebuild-arm64.sh): Advanced SIMD (NEON) is part of
// the armv8-a baseline, so the same loops are vectorised with NEON at build time and run on
// every arm64 CPU; no load-time choice is needed (GCC 12 has no target_clones on aarch64).
// Any other target gets the plain loops.
#pragma once
// clang cannot multiversion function templates (GRPO kernels), so clones are gcc-only; clang builds
// (the fuzz targets) use the baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define ET_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ET_SIMD_CLONES
#endif
