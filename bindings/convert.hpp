// Type translation and error translation between N-API values and the native core.
// Nothing here computes: it only moves data across the boundary.
#pragma once
#include <napi.h>

#include <cstdint>
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

inline Napi::Error invalid_arg(Napi::Env env, const std::string& message) {
  return make_error(env, "ERR_INVALID_ARG", message);
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
  } catch (const et::Error& e) {
    throw make_error(env, e.code_name(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, "ERR_OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    throw make_error(env, "ERR_INTERNAL", e.what());
  }
}

// A view of a typed array's bytes plus a persistent reference that keeps it alive while a
// worker thread reads it.
struct BytesView {
  const uint8_t* data = nullptr;
  size_t size = 0;
  Napi::ObjectReference keep;
};

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

struct FloatView {
  const float* data = nullptr;
  size_t length = 0;
  Napi::ObjectReference keep;
};

FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
uint32_t uint32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

// Hands a vector to JS as a Float32Array without copying; the vector is freed by the GC.
Napi::Float32Array to_float32_array(Napi::Env env, std::vector<float>&& values);

// Runs `work` on the libuv pool and settles a promise with `done(env)` on the main thread.
// `work` may throw et::Error or std::exception; the promise is then rejected with the coded
// JS error. Inputs must stay alive through references captured in `work`.
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
    } catch (const et::Error& e) {
      code_ = e.code_name();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "ERR_OUT_OF_MEMORY";
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = "ERR_INTERNAL";
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    deferred_.Reject(make_error(env, code_.c_str(), e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::string code_ = "ERR_INTERNAL";
};

// Queues a PromiseWorker and returns its promise.
inline Napi::Promise run_async(Napi::Env env, PromiseWorker::Work work, PromiseWorker::Done done) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace etb
