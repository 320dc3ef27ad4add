#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined) and fuzzes each for
# a fixed time from the committed seed corpus. Inputs that crash, leak, time out or run out of
# memory are kept in regressions/<target>/ and make the script fail; those files are replayed
# first on every later run, so a fixed bug stays fixed (docs/fuzzing.md).
#   native/fuzz/run.sh [seconds per target, default 60] [target ...]
# Environment: ET_FUZZ_BUILD (build folder, default build-fuzz at the repository root),
# ET_FUZZ_WORK (where the growing corpus goes, default <build>/corpus), ET_FUZZ_JOBS (parallel
# fuzzing jobs per target, default 1), CXX (default clang++).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wav_fuzz resample_fuzz)
build="${ET_FUZZ_BUILD:-$root/build-fuzz}"
work="${ET_FUZZ_WORK:-$build/corpus}"
jobs="${ET_FUZZ_JOBS:-1}"

cmake -S "$root/native" -B "$build" -DET_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null

# Any sanitizer report is fatal; libFuzzer's own limits: 10 s per input, 2 GiB of memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
cd "$build"  # libFuzzer writes fuzz-N.log files into the current folder when -jobs > 1
for t in "${targets[@]}"; do
  seeds="$here/corpus/${t%_fuzz}"
  regress="$here/regressions/$t"
  mkdir -p "$work/$t" "$regress"
  # Earlier crashers first: each must now run cleanly.
  if compgen -G "$regress/*" >/dev/null; then
    echo "fuzz: $t: replaying $(ls "$regress" | wc -l) regression input(s)"
    if ! "$build/$t" -runs=0 "$regress"/* >"$build/$t.regress.log" 2>&1; then
      echo "fuzz: $t: a regression input fails again; see $build/$t.regress.log" >&2
      tail -n 40 "$build/$t.regress.log" >&2
      status=1
      continue
    fi
  fi
  echo "fuzz: $t for ${seconds}s (seeds: $seeds)"
  parallel=()
  [ "$jobs" -le 1 ] || parallel=(-jobs="$jobs" -workers="$jobs")
  if ! "$build/$t" "$work/$t" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 "${parallel[@]}" -print_final_stats=1 \
      -artifact_prefix="$regress/" >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; the input is in $regress/ (log: $build/$t.log)" >&2
    tail -n 60 "$build/$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$build/$t.log" | tail -n 2 || true
  fi
done
exit $status
