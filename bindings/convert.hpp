// Type translation and error translation between N-API values and the native core.
// Nothing here computes: it only moves data across the boundary. The copies of async inputs are
// in input_copies.hpp, the async worker in promise_worker.hpp.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "../native/common/error.hpp"

namespace etb {

// A JS Error carrying the package's stable `code` property.
inline Napi::Error make_error(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

inline Napi::Error make_error(Napi::Env env, et::ErrorCode code, const std::string& message) {
  return make_error(env, et::error_code_name(code), message);
}

inline Napi::Error invalid_arg(Napi::Env env, const std::string& message) {
  return make_error(env, et::ErrorCode::InvalidArg, message);
}

// The one mapping from a C++ exception to a coded error (sync calls and async workers alike):
// et::Error keeps its code, bad_alloc is ERR_OUT_OF_MEMORY, anything else ERR_INTERNAL.
struct CodedError {
  const char* code;
  std::string message;
};
inline CodedError coded_error(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const et::Error& e) {
    return {e.code_name(), e.what()};
  } catch (const std::bad_alloc&) {
    return {et::error_code_name(et::ErrorCode::OutOfMemory), "out of memory"};
  } catch (const std::exception& e) {
    return {et::error_code_name(et::ErrorCode::Internal), e.what()};
  } catch (...) {
    return {et::error_code_name(et::ErrorCode::Internal), "unknown native exception"};
  }
}

// Throws ERR_BACKEND_UNAVAILABLE with the reason unless a CUDA device can be used: a build with
// CUDA still refuses cleanly (not with a CUDA error) when no driver or device exists; a build
// without CUDA always refuses.
#ifdef ET_WITH_CUDA
void require_cuda(Napi::Env env);
#else
[[noreturn]] void require_cuda(Napi::Env env);
#endif

// Runs `body`, turning any C++ exception into a thrown JS error so none escapes as a crash.
template <typename F>
Napi::Value guarded(Napi::Env env, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    CodedError c = coded_error(std::current_exception());
    throw make_error(env, c.code, c.message);
  }
}

// The memory behind a typed array as napi_get_typedarray_info reports it. Works for arrays on a
// SharedArrayBuffer too (Napi::ArrayBuffer::Data() refuses those with "Invalid argument").
// A detached array has length 0. `shared`: the memory is a SharedArrayBuffer's, which can be
// neither detached nor shrunk, and lives as long as the array is referenced.
struct TypedInfo {
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;  // elements
  void* data = nullptr;
  bool shared = false;
};
TypedInfo typed_info(Napi::TypedArray arr);
size_t element_size(napi_typedarray_type t);

uint32_t uint32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

// Hands a vector to JS as a Float32Array without copying; the vector is freed by the GC.
Napi::Float32Array to_float32_array(Napi::Env env, std::vector<float>&& values);

}  // namespace etb
