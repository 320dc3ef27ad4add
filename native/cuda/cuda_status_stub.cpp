// The portable CPU build (node-gyp / prebuildify) compiles this instead of the .cu files.
#include "cuda_status.hpp"

namespace et {

CudaStatus cuda_status() {
  CudaStatus s;
  s.reason = "this build has no CUDA support (portable CPU prebuild); build from source with `npm run build:cuda` "
             "on a machine with nvcc";
  return s;
}

}  // namespace et
