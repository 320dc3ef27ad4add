// Event-loop responsiveness measured against the same machine in the same run. Tests compare
// the longest gap between timer ticks with the time the same work takes when it blocks the
// loop, never with a fixed number of milliseconds (a loaded CI machine slows everything).

/** Starts a 5 ms interval timer; stop() returns the tick times (ms), the stop time included. */
export function watchLoop(): { stop(): number[] } {
  const ticks = [performance.now()];
  const timer = setInterval(() => ticks.push(performance.now()), 5);
  return {
    stop() {
      clearInterval(timer);
      ticks.push(performance.now());
      return ticks;
    },
  };
}

/** The longest interval between consecutive ticks. */
export function maxGap(ticks: number[]): number {
  let gap = 0;
  for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, ticks[i] - ticks[i - 1]);
  return gap;
}

/** Wall time of a synchronous call (the loop is blocked for all of it). */
export function timeBlocking(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}
