// Package-wide error type of the native core. Every failure the core can detect is thrown as
// et::Error with a stable code (the same strings the TypeScript layer exposes as `err.code`),
// so the bindings can translate it without parsing messages.
#pragma once
#include <stdexcept>
#include <string>

namespace et {

// The package's error codes: the one table. X(enum name, code string, scope, meaning), where
// scope is 1 for the public codes (EmotionThinkerError.code; src/errors.ts lists exactly these,
// checked by test/error-codes.test.ts against the addon's `errorCodes`), 0 for codes that never
// reach a caller (ERR_CANCELLED becomes an AbortError). Some public codes are only thrown by
// the TypeScript layer; they are listed here so the list is whole.
#define ET_ERROR_CODES(X)                                                                                       \
  X(InvalidArg, "ERR_INVALID_ARG", 1, "a caller-supplied value is out of range or malformed")                \
  X(AudioFormat, "ERR_AUDIO_FORMAT", 1, "the bytes are not a well-formed audio container")                   \
  X(AudioUnsupported, "ERR_AUDIO_UNSUPPORTED", 1, "well-formed audio, but a codec or layout not decoded")   \
  X(File, "ERR_FILE", 1, "a file could not be read or written")                                              \
  X(ModelFormat, "ERR_MODEL_FORMAT", 1, "a model, calibration, checkpoint or ONNX file is malformed")        \
  X(OutOfMemory, "ERR_OUT_OF_MEMORY", 1, "an allocation failed")                                             \
  X(BackendUnavailable, "ERR_BACKEND_UNAVAILABLE", 1, "the requested backend (CUDA) cannot be used")         \
  X(Cuda, "ERR_CUDA", 1, "a CUDA runtime call failed")                                                       \
  X(Training, "ERR_TRAINING", 1, "training diverged or cannot go on")                                        \
  X(Internal, "ERR_INTERNAL", 1, "a bug; never expected")                                                    \
  X(Cancelled, "ERR_CANCELLED", 0, "the caller's cancel flag was set (native/common/cancel.hpp)")

enum class ErrorCode {
#define ET_ERROR_ENUM(name, code, scope, meaning) name,
  ET_ERROR_CODES(ET_ERROR_ENUM)
#undef ET_ERROR_ENUM
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
