// The copies of async inputs (input_copies.hpp) and the cache of freed copy buffers.
#include "input_copies.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <new>

#include "../native/common/parallel.hpp"
#include "convert.hpp"

namespace etb {

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

// Argument `index` as a typed array of `type` (else `name` + " must be " + `expected`), referenced.
template <typename T>
static ArrayView<T> typed_arg(const Napi::CallbackInfo& info, size_t index, const char* name, napi_typedarray_type type, const char* expected) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsTypedArray()) throw invalid_arg(env, std::string(name) + " must be " + expected);
  Napi::TypedArray arr = info[index].As<Napi::TypedArray>();
  TypedInfo t = typed_info(arr);
  if (t.type != type) throw invalid_arg(env, std::string(name) + " must be " + expected);
  ArrayView<T> v;
  v.data = static_cast<const T*>(t.data);
  v.length = t.length;
  v.shared = t.shared;
  v.keep = Napi::Persistent(arr.As<Napi::Object>());
  return v;
}

BytesView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  return typed_arg<uint8_t>(info, index, name, napi_uint8_array, "a Uint8Array or Buffer");
}

FloatView float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  return typed_arg<float>(info, index, name, napi_float32_array, "a Float32Array");
}

}  // namespace etb
