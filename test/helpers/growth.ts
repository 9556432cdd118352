/**
 * How a function's cost grows with its input, for tests that guard against superlinear scans of user
 * text. The figure is a ratio of two timings taken in the same process a moment apart, so the
 * machine's speed cancels out; each timing is the fastest of several runs, the one least disturbed by
 * other processes on a shared machine.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds of the fastest of `runs` calls. */
export function fastest(fn: () => unknown, runs = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * Time of `work(big)` over time of `work(small)`. Linear work gives about big/small; quadratic work
 * gives its square. The small input runs first, also to warm the JIT up.
 */
export function growth(work: (size: number) => unknown, small: number, big: number): number {
  fastest(() => work(small), 3);
  const a = fastest(() => work(small));
  const b = fastest(() => work(big));
  // A floor of 0.05 ms keeps a timer's resolution from making a tiny baseline look like a huge ratio.
  return b / Math.max(a, 0.05);
}
