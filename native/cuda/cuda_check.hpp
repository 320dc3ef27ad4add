// CUDA runtime errors → package errors (ERR_OUT_OF_MEMORY, ERR_CUDA) naming the failed step.
// Only for .cu files (needs cuda_runtime.h).
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "../common/error.hpp"

namespace et::cuda {

inline void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so later calls can proceed
  if (e == cudaErrorMemoryAllocation) {
    throw Error(ErrorCode::OutOfMemory, std::string(what) + ": CUDA out of memory");
  }
  throw Error(ErrorCode::Cuda, std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

}  // namespace et::cuda
