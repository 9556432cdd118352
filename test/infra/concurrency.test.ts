import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, QueueTimeoutError } from '../../src/infra/concurrency';

/** A task that runs until released, recording how many ran at once. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
}

describe('ConcurrencyLimit', () => {
  it('should run at most max tasks at once, the others in the order they came', async () => {
    const limit = new ConcurrencyLimit(2, 10_000);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    const runs = gates.map((g, i) =>
      limit.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await g.done;
        running--;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1].release();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.release();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('should give a place back when a task fails', async () => {
    const limit = new ConcurrencyLimit(1, 10_000);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(async () => 'next')).toBe('next');
  });

  it('should stop waiting after maxWaitMs with a QueueTimeoutError, and leave the queue as it was', async () => {
    const limit = new ConcurrencyLimit(1, 30);
    const held = gate();
    const first = limit.run(() => held.done);
    const waited = limit.run(async () => 'never');
    await expect(waited).rejects.toBeInstanceOf(QueueTimeoutError);
    held.release();
    await first;
    expect(await limit.run(async () => 'after')).toBe('after');
  });
});
