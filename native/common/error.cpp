#include "error.hpp"

namespace et {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArg: return "ERR_INVALID_ARG";
    case ErrorCode::AudioFormat: return "ERR_AUDIO_FORMAT";
    case ErrorCode::AudioUnsupported: return "ERR_AUDIO_UNSUPPORTED";
    case ErrorCode::OutOfMemory: return "ERR_OUT_OF_MEMORY";
    case ErrorCode::Cuda: return "ERR_CUDA";
    case ErrorCode::Internal: return "ERR_INTERNAL";
    case ErrorCode::Cancelled: return "ERR_CANCELLED";
  }
  return "ERR_INTERNAL";
}

}  // namespace et
