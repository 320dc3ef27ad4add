// What the CUDA backend can do on this machine. Probing never throws: a missing driver or
// device is a normal state, reported with a reason the user can act on.
#pragma once
#include <cstddef>
#include <string>

namespace et {

struct CudaStatus {
  bool compiled = false;   // this binary was built with CUDA kernels
  bool available = false;  // a usable device was found
  std::string reason;      // why not available (empty when available)
  int device_count = 0;
  std::string device_name;
  int compute_major = 0, compute_minor = 0;
  size_t total_memory = 0;
  int driver_version = 0;   // e.g. 13000; 0 when no driver
  int runtime_version = 0;  // the cudart the binary was linked with
};

CudaStatus cuda_status();

}  // namespace et
