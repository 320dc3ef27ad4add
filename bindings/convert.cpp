#include "convert.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <new>

#include "../native/common/parallel.hpp"
#include "../native/cuda/cuda_status.hpp"

namespace etb {

TypedInfo typed_info(Napi::TypedArray arr) {
  TypedInfo t;
  napi_value buffer = nullptr;
  napi_status s = napi_get_typedarray_info(arr.Env(), arr, &t.type, &t.length, &t.data, &buffer, nullptr);
  NAPI_THROW_IF_FAILED(arr.Env(), s, t);
  bool plain = true;
  s = napi_is_arraybuffer(arr.Env(), buffer, &plain);
  NAPI_THROW_IF_FAILED(arr.Env(), s, t);
  t.shared = !plain;
  return t;
}

size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array: return 1;
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    default: return 8;
  }
}

namespace {

// Freed copy buffers of at least kMinBlock bytes, kept for the next call: at most kMaxBlocks of
// them and kMaxBytes in all (the oldest go back to the system first). Shared by all environments
// (worker threads), hence the mutex; never destroyed, as a buffer may be freed late at exit.
constexpr size_t kMinBlock = size_t(1) << 20;
constexpr size_t kMaxBlocks = 8;
constexpr size_t kMaxBytes = size_t(256) << 20;

struct CopyPool {
  std::mutex m;
  std::vector<std::pair<void*, size_t>> blocks;  // oldest first
  size_t total = 0;
};

CopyPool& copy_pool() {
  static CopyPool* p = new CopyPool;
  return *p;
}

// A cached block that fits `bytes` without wasting more than half of it, or null.
void* pool_take(size_t bytes, size_t& cap) {
  if (bytes < kMinBlock) return nullptr;
  CopyPool& p = copy_pool();
  std::lock_guard<std::mutex> lock(p.m);
  size_t best = p.blocks.size();
  for (size_t i = 0; i < p.blocks.size(); ++i) {
    const size_t c = p.blocks[i].second;
    if (c >= bytes && c / 2 <= bytes && (best == p.blocks.size() || c < p.blocks[best].second)) best = i;
  }
  if (best == p.blocks.size()) return nullptr;
  void* ptr = p.blocks[best].first;
  cap = p.blocks[best].second;
  p.total -= cap;
  p.blocks.erase(p.blocks.begin() + long(best));
  return ptr;
}

void pool_give(void* ptr, size_t cap) noexcept {
  if (cap < kMinBlock || cap > kMaxBytes) {
    std::free(ptr);
    return;
  }
  CopyPool& p = copy_pool();
  std::vector<void*> drop;
  {
    std::lock_guard<std::mutex> lock(p.m);
    try {
      p.blocks.emplace_back(ptr, cap);
    } catch (...) {
      std::free(ptr);
      return;
    }
    p.total += cap;
    while (p.blocks.size() > kMaxBlocks || p.total > kMaxBytes) {
      drop.push_back(p.blocks.front().first);
      p.total -= p.blocks.front().second;
      p.blocks.erase(p.blocks.begin());
    }
  }
  for (void* d : drop) std::free(d);
}

}  // namespace

OwnedBytes& OwnedBytes::operator=(OwnedBytes&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = o.ptr_, cap_ = o.cap_;
    o.ptr_ = nullptr, o.cap_ = 0;
  }
  return *this;
}

void OwnedBytes::release() noexcept {
  if (ptr_ != nullptr) pool_give(ptr_, cap_);
  ptr_ = nullptr, cap_ = 0;
}

void* OwnedBytes::take(size_t bytes) {
  release();
  size_t cap = 0;
  void* p = pool_take(bytes, cap);
  if (p == nullptr) {
    cap = bytes + 1;  // +1: never a null pointer
    p = std::malloc(cap);
    if (p == nullptr) throw std::bad_alloc();
  }
  ptr_ = p, cap_ = cap;
  return p;
}

// Copies `bytes` on several threads when large: the copy runs on the JS thread (it must finish
// before the call returns) and a fresh buffer's page faults make it slow, so spreading it over
// the cores shortens the event-loop pause.
static void copy_bytes(void* dst, const void* src, size_t bytes) {
  constexpr size_t kChunk = size_t(8) << 20;
  if (bytes < 2 * kChunk) {
    if (bytes != 0) std::memcpy(dst, src, bytes);
    return;
  }
  const size_t chunks = (bytes + kChunk - 1) / kChunk;
  et::parallel_chunks(chunks, std::min(et::resolve_threads(0), 8u), [&](size_t c) {
    const size_t off = c * kChunk;
    std::memcpy(static_cast<char*>(dst) + off, static_cast<const char*>(src) + off, std::min(kChunk, bytes - off));
  });
}

void* OwnedBytes::assign(const void* src, size_t bytes) {
  void* p = take(bytes);
  copy_bytes(p, src, bytes);
  return p;
}

void* OwnedBytes::zeroed(size_t bytes) {
  void* p = take(bytes);
  std::memset(p, 0, bytes);
  return p;
}

bool inputs_private_arg(const Napi::CallbackInfo& info, size_t index) {
  return info.Length() > index && info[index].IsBoolean() && info[index].As<Napi::Boolean>().Value();
}

void BytesView::own(bool inputs_private) {
  // The reference keeps a SharedArrayBuffer's memory valid, and a private input's.
  if (shared || inputs_private) return;
  data = static_cast<const uint8_t*>(owned.assign(data, size));
  keep.Reset();
}

void FloatView::own(bool inputs_private) {
  if (shared || inputs_private) return;
  data = static_cast<const float*>(owned.assign(data, length * sizeof(float)));
  keep.Reset();
}

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsTypedArray()) {
    throw invalid_arg(env, std::string(name) + " must be a Uint8Array or Buffer");
  }
  Napi::TypedArray arr = info[index].As<Napi::TypedArray>();
  TypedInfo t = typed_info(arr);
  if (t.type != napi_uint8_array) {
    throw invalid_arg(env, std::string(name) + " must be a Uint8Array or Buffer");
  }
  BytesView v;
  v.data = static_cast<const uint8_t*>(t.data);
  v.size = t.length;
  v.shared = t.shared;
  v.keep = Napi::Persistent(arr.As<Napi::Object>());
  return v;
}

FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsTypedArray()) {
    throw invalid_arg(env, std::string(name) + " must be a Float32Array");
  }
  Napi::TypedArray arr = info[index].As<Napi::TypedArray>();
  TypedInfo t = typed_info(arr);
  if (t.type != napi_float32_array) throw invalid_arg(env, std::string(name) + " must be a Float32Array");
  FloatView v;
  v.data = static_cast<const float*>(t.data);
  v.length = t.length;
  v.shared = t.shared;
  v.keep = Napi::Persistent(arr.As<Napi::Object>());
  return v;
}

uint32_t uint32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw invalid_arg(env, std::string(name) + " must be a number");
  }
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != double(uint32_t(d))) {
    throw invalid_arg(env, std::string(name) + " must be an integer in 0..4294967295; got " + std::to_string(d));
  }
  return uint32_t(d);
}

Napi::Float32Array to_float32_array(Napi::Env env, std::vector<float>&& values) {
  size_t n = values.size();
  if (n == 0) return Napi::Float32Array::New(env, 0);
  std::unique_ptr<std::vector<float>> holder(new std::vector<float>(std::move(values)));
  // node-addon-api frees its own finalizer record but not our hint when creation fails (as it does
  // while the environment is shutting down): keep ownership until the buffer exists.
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(
      env, holder->data(), n * sizeof(float),
      [](Napi::Env, void*, std::vector<float>* h) { delete h; }, holder.get());
  holder.release();
  return Napi::Float32Array::New(env, n, buf, 0);
}

#ifdef ET_WITH_CUDA
void require_cuda(Napi::Env env) {
  static const et::CudaStatus status = et::cuda_status();
  if (!status.available) throw make_error(env, et::ErrorCode::BackendUnavailable, "CUDA is not available: " + status.reason);
}
#else
void require_cuda(Napi::Env env) {
  throw make_error(env, et::ErrorCode::BackendUnavailable, "CUDA is not available: " + et::cuda_status().reason);
}
#endif

}  // namespace etb
