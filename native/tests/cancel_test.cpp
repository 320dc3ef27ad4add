// Cancellation without Node: a set flag stops parallel_chunks, the F0 tracker, the resampler and the
// spectral statistics with et::Error(Cancelled); no scope or a clear flag changes nothing.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../audio/resample.hpp"
#include "../common/cancel.hpp"
#include "../common/parallel.hpp"
#include "../features/spectral.hpp"
#include "../prosody/f0.hpp"
#include "check.hpp"

namespace {

template <class F>
bool throws_cancelled(F&& f) {
  try {
    f();
  } catch (const et::Error& e) {
    return e.code() == et::ErrorCode::Cancelled && std::string(e.code_name()) == "ERR_CANCELLED";
  }
  return false;
}

std::vector<float> tone(size_t n, double rate) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = 0.3f * float(std::sin(2 * M_PI * 150.0 * double(i) / rate));
  return x;
}

}  // namespace

int main() {
  int32_t flag = 0;

  // No scope: never cancelled.
  CHECK(!et::cancel_requested());

  // A clear flag: every chunk runs, on every thread.
  {
    et::CancelScope scope(&flag);
    std::atomic<int> ran{0};
    et::parallel_chunks(64, 4, [&](size_t) { ran++; });
    CHECK(ran == 64);
  }

  // The flag set by a chunk: the remaining chunks do not start (helper threads obey the
  // caller's flag), and the call throws Cancelled.
  {
    flag = 0;
    et::CancelScope scope(&flag);
    std::atomic<int> ran{0};
    bool cancelled = throws_cancelled([&] {
      et::parallel_chunks(10000, 4, [&](size_t c) {
        ran++;
        if (c == 10) __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
      });
    });
    CHECK(cancelled);
    CHECK(ran < 10000);
  }

  // Scopes nest and restore the outer flag.
  {
    int32_t outer = 1, inner = 0;
    et::CancelScope a(&outer);
    CHECK(et::cancel_requested());
    {
      et::CancelScope b(&inner);
      CHECK(!et::cancel_requested());
    }
    CHECK(et::cancel_requested());
  }
  CHECK(!et::cancel_requested());

  // The long loops stop on a set flag; the same calls without a scope run to their end.
  const std::vector<float> x = tone(16000 * 30, 16000);
  flag = 1;
  {
    et::CancelScope scope(&flag);
    CHECK(throws_cancelled([&] { et::prosody::track_f0(x.data(), x.size(), 16000); }));
    CHECK(throws_cancelled([&] { et::features::spectral_stats(x.data(), x.size(), 16000); }));
    CHECK(throws_cancelled([&] { et::resample(x.data(), x.size(), 1, 16000, 44100, et::ResampleQuality(), false, 2); }));
  }
  CHECK(et::prosody::track_f0(x.data(), x.size(), 16000).f0.size() > 2900);

  return check_report("cancel");
}
