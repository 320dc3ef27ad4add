// Cooperative cancellation of long native runs. A caller (the N-API binding on a libuv worker
// thread) installs a CancelScope with a pointer to a shared int32 flag; long loops call
// check_cancel() at chunk boundaries and unwind with et::Error(ErrorCode::Cancelled) once the
// flag is non-zero. The flag lives outside the core (a SharedArrayBuffer the JS side sets with
// Atomics.store on abort), so the core only ever reads it. No scope installed: never cancelled,
// so code and tests that know nothing of cancellation are unaffected.
#pragma once
#include <cstdint>

#include "error.hpp"

namespace et {

namespace cancel_detail {
// The flag of the scope active on this thread (null: none).
inline const int32_t*& current() {
  thread_local const int32_t* flag = nullptr;
  return flag;
}
}  // namespace cancel_detail

// Installs `flag` as this thread's cancel flag for the scope's lifetime (null: no cancellation);
// restores the previous one on exit, so scopes nest.
class CancelScope {
 public:
  explicit CancelScope(const int32_t* flag) : prev_(cancel_detail::current()) { cancel_detail::current() = flag; }
  ~CancelScope() { cancel_detail::current() = prev_; }
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  const int32_t* prev_;
};

// The flag active on this thread, to hand to helper threads (parallel_chunks) that must obey it.
inline const int32_t* current_cancel_flag() { return cancel_detail::current(); }

inline bool cancel_requested() {
  const int32_t* f = cancel_detail::current();
  // The flag is written by another thread (Atomics.store): an atomic read, never cached.
  return f != nullptr && __atomic_load_n(f, __ATOMIC_RELAXED) != 0;
}

// Throws et::Error(Cancelled) when the active flag is set; cheap enough for every chunk.
inline void check_cancel() {
  if (cancel_requested()) throw Error(ErrorCode::Cancelled, "the operation was cancelled");
}

}  // namespace et
