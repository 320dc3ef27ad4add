// Splits [0, n) into contiguous ranges run on up to `threads` std::threads (the caller's thread
// does the first range). Each index is processed by exactly one thread, and ranges depend only
// on n and the thread count, so results are identical for any scheduling.
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace et {

// Hardware threads available, at least 1.
inline unsigned hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

// Calls body(begin, end) over disjoint ranges covering [0, n). Work below `min_per_thread`
// items per thread stays on fewer threads, since starting a thread costs ~20 µs.
template <typename Body>
void parallel_for(size_t n, unsigned threads, size_t min_per_thread, Body&& body) {
  if (n == 0) return;
  size_t max_useful = std::max<size_t>(1, n / std::max<size_t>(1, min_per_thread));
  size_t t = std::min<size_t>(std::max(1u, threads), max_useful);
  if (t <= 1) {
    body(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  size_t chunk = (n + t - 1) / t;
  for (size_t k = 1; k < t; ++k) {
    size_t b = k * chunk, e = std::min(n, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&, k, b, e] {
      try {
        body(b, e);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
  }
  try {
    body(size_t(0), std::min(n, chunk));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace et
