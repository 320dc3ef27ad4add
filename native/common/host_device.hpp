// Functions compiled for both the CPU and the GPU: the per-frame steps of an algorithm written
// once, so that the CUDA kernels and the C++ path run the same arithmetic (native/prosody/f0_steps.hpp).
#pragma once
#ifdef __CUDACC__
#define ET_HD __host__ __device__
#else
#define ET_HD
#endif
