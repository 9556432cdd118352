/**
 * How a function's cost grows with its input, for tests that guard against superlinear scans of user
 * text. The figure is a ratio of two costs measured in the same process a moment apart, so the
 * machine's speed cancels out. Costs are CPU time, not wall time, so that other processes on a shared
 * machine do not count; each is the least of several rounds, and a round repeats a cheap call until
 * it has used enough CPU to measure.
 */

/** CPU time of this process so far, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU milliseconds one call of `fn` takes: the least of `rounds` rounds. */
export function cpuCost(fn: () => unknown, rounds = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const started = cpuMs();
    let calls = 0;
    do {
      fn();
      calls++;
    } while (cpuMs() - started < 20 && calls < 1000);
    best = Math.min(best, (cpuMs() - started) / calls);
  }
  return best;
}

/**
 * Cost of `work(big)` over cost of `work(small)`. Linear work gives about big/small; quadratic work
 * gives its square. The small input runs first, which also warms the JIT up.
 */
export function growth(work: (size: number) => unknown, small: number, big: number): number {
  cpuCost(() => work(small), 2);
  return cpuCost(() => work(big)) / cpuCost(() => work(small));
}
