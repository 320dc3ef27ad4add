// Function multi-versioning for hot loops: the portable prebuild targets baseline x86-64, and
// this lets GCC/Clang emit an AVX2+FMA clone picked at load time on CPUs that have it.
#pragma once
// clang cannot multiversion function templates (GRPO kernels), so clones are gcc-only; clang builds
// (the fuzz targets) use the baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define ET_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ET_SIMD_CLONES
#endif
