// The optional trailing cancel-flag argument of the long async bindings: an Int32Array (on a
// SharedArrayBuffer) whose element 0 the JS side sets with Atomics.store when the caller's
// AbortSignal fires (src/native-cancel.ts). The work lambda installs it as the worker thread's
// et::CancelScope; the core then unwinds at its next chunk with et::Error(Cancelled), which
// PromiseWorker rejects with code ERR_CANCELLED.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>

#include "../native/common/cancel.hpp"
#include "convert.hpp"

namespace etb {

struct CancelFlag {
  const int32_t* flag = nullptr;  // null: the call cannot be cancelled
  Napi::ObjectReference keep;     // keeps the flag's buffer alive while the worker reads it
};

// Reads argument `index`: absent/undefined/null gives an inert flag; anything else must be a
// non-empty Int32Array.
inline std::shared_ptr<CancelFlag> cancel_flag_arg(const Napi::CallbackInfo& info, size_t index) {
  auto out = std::make_shared<CancelFlag>();
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return out;
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[index].As<Napi::TypedArray>().ElementLength() < 1) {
    throw invalid_arg(info.Env(), "cancel flag must be a non-empty Int32Array");
  }
  Napi::Int32Array arr = info[index].As<Napi::Int32Array>();
  out->flag = arr.Data();
  out->keep = Napi::Persistent(arr.As<Napi::Object>());
  return out;
}

}  // namespace etb
