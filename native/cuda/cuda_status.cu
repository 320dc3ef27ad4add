// Built only when CUDA is enabled (CMake). Links cudart statically, so only the driver
// (libcuda.so) is needed at run time; when it is absent cudart reports an error code instead
// of failing to load, and that code becomes the reason string.
#include <cuda_runtime.h>

#include "cuda_status.hpp"

namespace et {

CudaStatus cuda_status() {
  CudaStatus s;
  s.compiled = true;
  cudaRuntimeGetVersion(&s.runtime_version);
  cudaError_t err = cudaDriverGetVersion(&s.driver_version);
  if (err != cudaSuccess || s.driver_version == 0) {
    s.reason = "no CUDA driver: libcuda.so was not found or could not be loaded (is an NVIDIA driver installed?)";
    cudaGetLastError();
    return s;
  }
  err = cudaGetDeviceCount(&s.device_count);
  if (err != cudaSuccess || s.device_count == 0) {
    s.device_count = 0;
    if (err == cudaErrorInsufficientDriver) {
      s.reason = "the CUDA driver (" + std::to_string(s.driver_version) + ") is older than this build's runtime (" +
                 std::to_string(s.runtime_version) + ")";
    } else if (err == cudaErrorNoDevice || err == cudaSuccess) {
      s.reason = "no CUDA device: the driver is present but reports no GPU";
    } else {
      s.reason = std::string("CUDA initialisation failed: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
    }
    cudaGetLastError();
    return s;
  }
  cudaDeviceProp prop{};
  err = cudaGetDeviceProperties(&prop, 0);
  if (err != cudaSuccess) {
    s.reason = std::string("cannot query device 0: ") + cudaGetErrorString(err);
    cudaGetLastError();
    return s;
  }
  s.available = true;
  s.device_name = prop.name;
  s.compute_major = prop.major;
  s.compute_minor = prop.minor;
  s.total_memory = prop.totalGlobalMem;
  return s;
}

}  // namespace et
