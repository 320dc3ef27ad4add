// Package-wide error type of the native core. Every failure the core can detect is thrown as
// et::Error with a stable code (the same strings the TypeScript layer exposes as `err.code`),
// so the bindings can translate it without parsing messages.
#pragma once
#include <stdexcept>
#include <string>

namespace et {

enum class ErrorCode {
  InvalidArg,        // ERR_INVALID_ARG: a caller-supplied value is out of range or malformed
  AudioFormat,       // ERR_AUDIO_FORMAT: the bytes are not a well-formed audio container
  AudioUnsupported,  // ERR_AUDIO_UNSUPPORTED: well-formed, but a codec/layout we do not decode
  OutOfMemory,       // ERR_OUT_OF_MEMORY: an allocation failed
  Cuda,              // ERR_CUDA: a CUDA runtime call failed
  Internal,          // ERR_INTERNAL: a bug; never expected
  Cancelled,         // ERR_CANCELLED: the caller's cancel flag was set (native/common/cancel.hpp)
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  const char* code_name() const noexcept { return error_code_name(code_); }

 private:
  ErrorCode code_;
};

}  // namespace et
