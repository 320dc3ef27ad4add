// Device memory for the GPU entry points (declared in grpo_cuda.hpp): allocation, copies and
// synchronisation, failures as et::Error.
#include <cuda_runtime.h>

#include <string>

#include "../common/error.hpp"
#include "cuda_check.hpp"
#include "grpo_cuda.hpp"

namespace et::cuda {

void* device_alloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (e == cudaErrorMemoryAllocation) {
      throw Error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes of GPU memory");
    }
    check(e, "allocating device memory");
  }
  return p;
}
void device_free(void* ptr) noexcept {
  if (ptr) cudaFree(ptr);
}
void copy_to_device(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copying to the device");
}
void copy_to_host(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copying to the host");
}
void copy_device(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copying on the device");
}
void synchronize() { check(cudaDeviceSynchronize(), "synchronising the device"); }

}  // namespace et::cuda
