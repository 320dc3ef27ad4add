// The native core's one fork-join helper: a fixed list of chunks, handed out to up to
// `threads` std::threads through an atomic counter. The chunking never depends on the thread
// count, so per-chunk partial sums (summed afterwards in chunk order) give bit-identical
// results whatever the number of threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "cancel.hpp"

namespace et {

inline unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

// Calls body(chunk) for chunk in [0, chunks). Runs inline when one thread suffices. The first
// exception thrown by any chunk is rethrown on the calling thread after all workers stop.
// The calling thread's cancel flag (cancel.hpp) is polled before every chunk, on every thread.
template <class F>
void parallel_chunks(size_t chunks, unsigned threads, F&& body) {
  if (chunks == 0) return;
  size_t workers = std::min<size_t>(resolve_threads(threads), chunks);
  if (workers <= 1) {
    for (size_t c = 0; c < chunks; ++c) {
      check_cancel();
      body(c);
    }
    return;
  }
  const int32_t* cancel_flag = current_cancel_flag();
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&]() {
    CancelScope scope(cancel_flag);  // helper threads obey the caller's flag
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) return;
      try {
        check_cancel();
        body(c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  try {
    for (size_t t = 0; t + 1 < workers; ++t) pool.emplace_back(run);
  } catch (...) {
    // Could not start a thread: the calling thread below still drains every chunk.
  }
  run();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace et
