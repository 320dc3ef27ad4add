// Inputs of async calls, copied (or not) for the worker thread: OwnedBytes, the typed-array views
// the bindings read, and the trailing `inputsPrivate` argument. Nothing here computes.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace etb {

// An input array copied for a worker thread. A reference alone does not keep the caller's memory
// valid: the buffer can be detached (transfer), a resizable buffer can shrink, and the backing
// store of a transferred buffer can then be collected, all while the work runs. The copy costs
// little next to most of the work (benchmarks/native-safety.mjs; the memory-bound GRPO calls pay
// the most) and nothing the caller does can reach it. Arrays on a SharedArrayBuffer are not
// copied: a reference keeps their memory valid, and callers own the promise not to change them.
//
// The buffers come from a small cache of freed ones (input_copies.cpp, copy_pool): a fresh large
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

// A view of a typed array's elements plus a persistent reference to it. For async work call
// own(inputs_private): the worker then reads a private copy, or, for inputs only the package
// holds, the array itself (the reference keeps it alive).
template <typename T>
struct ArrayView {
  const T* data = nullptr;
  size_t length = 0;  // elements
  bool shared = false;
  Napi::ObjectReference keep;
  OwnedBytes owned;
  void own(bool inputs_private = false) {
    // The reference keeps a SharedArrayBuffer's memory valid, and a private input's.
    if (shared || inputs_private) return;
    data = static_cast<const T*>(owned.assign(data, length * sizeof(T)));
    keep.Reset();
  }
};

using BytesView = ArrayView<uint8_t>;
using FloatView = ArrayView<float>;

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);

}  // namespace etb
