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
 * gives its square. Both sizes are warmed up first (the JIT and the heap settle), then measured in
 * alternating rounds so that a slow moment of the machine cannot fall on one size only.
 */
export function growth(work: (size: number) => unknown, small: number, big: number): number {
  cpuCost(() => work(small), 2);
  cpuCost(() => work(big), 2);
  let smallCost = Number.POSITIVE_INFINITY;
  let bigCost = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    smallCost = Math.min(smallCost, cpuCost(() => work(small), 1));
    bigCost = Math.min(bigCost, cpuCost(() => work(big), 1));
  }
  return bigCost / smallCost;
}

/**
 * The bound a `growth` ratio must stay under to call the work linear: the geometric mean of linear
 * (big/small) and quadratic ((big/small)²), so that noise must be a factor of √(big/small) to flip it.
 */
export function linearBound(small: number, big: number): number {
  return (big / small) ** 1.5;
}
