// Type translation and error translation between N-API values and the native core.
// Nothing here computes: it only moves data across the boundary.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
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

// An input array copied for a worker thread. A reference alone does not keep the caller's memory
// valid: the buffer can be detached (transfer), a resizable buffer can shrink, and the backing
// store of a transferred buffer can then be collected, all while the work runs. The copy costs
// little next to most of the work (benchmarks/native-safety.mjs; the memory-bound GRPO calls pay
// the most) and nothing the caller does can reach it. Arrays on a SharedArrayBuffer are not
// copied: a reference keeps their memory valid, and callers own the promise not to change them.
//
// The buffers come from a small cache of freed ones (convert.cpp, copy_pool): a fresh large
// buffer costs a page fault per 4 KiB (the kernel zeroes each page, about 6× a warm memcpy), and
// training loops make same-sized calls step after step.
class OwnedBytes {
 public:
  OwnedBytes() = default;
  OwnedBytes(OwnedBytes&& o) noexcept : ptr_(o.ptr_), cap_(o.cap_) { o.ptr_ = nullptr, o.cap_ = 0; }
  OwnedBytes& operator=(OwnedBytes&& o) noexcept;
  OwnedBytes(const OwnedBytes&) = delete;
  OwnedBytes& operator=(const OwnedBytes&) = delete;
  ~OwnedBytes() { release(); }
  void* assign(const void* src, size_t bytes);  // a copy of src (aligned for every element type)
  void* zeroed(size_t bytes);                   // zeroed, for an output the core overwrites

 private:
  void* take(size_t bytes);
  void release() noexcept;
  void* ptr_ = nullptr;
  size_t cap_ = 0;
};

// The optional trailing `inputsPrivate` argument of the async bindings (after the cancel flag),
// read here only. The package passes true from its own pipelines (a file it read, samples it
// decoded, mixed or resampled) for arrays no caller can reach before the promise settles: the
// copy would only pause the event loop (28-56 ms for a 10-minute 48 kHz stereo input) and double
// the memory. Absent or anything but `true`: the inputs are copied. Never part of the public API.
bool inputs_private_arg(const Napi::CallbackInfo& info, size_t index);

// A view of a typed array's bytes plus a persistent reference to it. For async work call
// own(inputs_private): the worker then reads a private copy, or, for inputs only the package
// holds, the array itself (the reference keeps it alive).
struct BytesView {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool shared = false;
  Napi::ObjectReference keep;
  OwnedBytes owned;
  void own(bool inputs_private = false);
};

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

struct FloatView {
  const float* data = nullptr;
  size_t length = 0;
  bool shared = false;
  Napi::ObjectReference keep;
  OwnedBytes owned;
  void own(bool inputs_private = false);
};

FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
uint32_t uint32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

// Hands a vector to JS as a Float32Array without copying; the vector is freed by the GC.
Napi::Float32Array to_float32_array(Napi::Env env, std::vector<float>&& values);

// Runs `work` on the libuv pool and settles a promise with `done(env)` on the main thread.
// `work` may throw et::Error or std::exception; the promise is then rejected with the coded
// JS error. `work` must read only memory the worker owns (see OwnedBytes): the caller's arrays
// may be detached, shrunk or collected while it runs. `done` may throw a Napi::Error (a coded
// error such as an output array that was detached meanwhile): the promise is rejected with it.
//
// Completion never throws out of OnOK/OnError. When the environment is going away (worker.terminate()
// or process.exit() while the work ran), Node still runs the completion during teardown but JS
// can no longer run: building the result or settling the promise then fails, and an exception
// escaping here would reach node-addon-api's callback wrapper, fail to be thrown into JS and
// end in std::terminate (the whole process dies). The result is dropped quietly instead. An env
// cleanup hook would not help: Node drains pending completions before it runs those hooks.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "emotionthinker"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (...) {
      CodedError c = coded_error(std::current_exception());
      code_ = c.code;
      SetError(c.message);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::Value result = done_(env);
      deferred_.Resolve(result);
      return;
    } catch (const Napi::Error& e) {
      reject_quietly([&] { return e.Value(); });
      return;
    } catch (...) {
      try {
        CodedError c = coded_error(std::current_exception());
        reject_coded(env, c.code, c.message);
      } catch (...) {
        // Out of memory building the message: nothing more can be reported.
      }
    }
  }
  void OnError(const Napi::Error& e) override {
    std::string message;
    try {
      message = e.Message();
    } catch (...) {
      message = "native call failed";
    }
    reject_coded(Env(), code_.c_str(), message);
  }

 private:
  template <typename MakeValue>
  void reject_quietly(MakeValue&& make) noexcept {
    try {
      deferred_.Reject(make());
    } catch (...) {
      // JS cannot run in this environment any more: nobody is left to see the result.
    }
  }
  void reject_coded(Napi::Env env, const char* code, const std::string& message) noexcept {
    reject_quietly([&] { return make_error(env, code, message).Value(); });
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::string code_ = et::error_code_name(et::ErrorCode::Internal);
};

// Queues a PromiseWorker and returns its promise.
inline Napi::Promise run_async(Napi::Env env, PromiseWorker::Work work, PromiseWorker::Done done) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace etb
