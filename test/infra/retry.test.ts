/**
 * The one retry helper: Retry-After parsing, exponential backoff with bounded jitter and a cap,
 * and the in-turn loop (gives up after N, honours Retry-After, keeps to its budget). Sleeps are
 * recorded, not waited.
 */
import { describe, expect, it } from 'vitest';
import { type Attempt, backoffDelay, parseRetryAfter, retry, type RetryPolicy } from '../../src/infra/retry';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('should read delay-seconds and HTTP dates, a past date as 0, and refuse anything else', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const steady = { baseMs: 100, maxMs: 1000, jitter: [1, 1] as const };

  it('should double per failure up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(steady, n))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('should keep jitter within its bounds, and spread the delays', () => {
    const policy = { baseMs: 1000, maxMs: 60_000, jitter: [0.8, 1.2] as const };
    expect(backoffDelay(policy, 3, undefined, () => 0)).toBe(3200);
    expect(backoffDelay(policy, 3, undefined, () => 0.999_999)).toBe(4800);
    const seen = Array.from({ length: 200 }, () => backoffDelay(policy, 3));
    for (const ms of seen) expect(ms >= 3200 && ms <= 4800).toBe(true);
    expect(new Set(seen).size).toBeGreaterThan(10);
    // The default spread: between half and all of the exponential delay.
    expect(backoffDelay({ baseMs: 1000, maxMs: 60_000 }, 2, undefined, () => 0)).toBe(1000);
  });

  it('should never retry sooner than Retry-After by default, and wait just that when told to', () => {
    expect(backoffDelay(steady, 1, 700)).toBe(700);
    expect(backoffDelay(steady, 4, 300)).toBe(800); // the backoff is longer: it stays
    expect(backoffDelay({ ...steady, retryAfter: 'instead' }, 4, 300)).toBe(300);
  });

  it('should cap a Retry-After at the policy maximum', () => {
    expect(backoffDelay(steady, 1, 3_600_000)).toBe(1000);
    expect(backoffDelay({ ...steady, retryAfter: 'instead' }, 1, 3_600_000)).toBe(1000);
  });
});

describe('retry', () => {
  /** A policy whose sleeps are recorded. */
  function recorded(extra: Partial<RetryPolicy> = {}) {
    const sleeps: number[] = [];
    const policy: RetryPolicy = {
      attempts: 4,
      baseMs: 100,
      maxMs: 10_000,
      jitter: [1, 1],
      sleep: async (ms) => void sleeps.push(ms),
      ...extra,
    };
    return { sleeps, policy };
  }
  const failure = (error: string, more: Partial<Extract<Attempt<never>, { ok: false }>> = {}): Attempt<never> => ({
    ok: false,
    error: new Error(error),
    retryable: true,
    ...more,
  });

  it('should return the first success, after backing off', async () => {
    const { sleeps, policy } = recorded();
    const answers: Attempt<string>[] = [failure('a'), failure('b'), { ok: true, value: 'done' }];
    expect(await retry(policy, async (n) => answers[n - 1]!)).toBe('done');
    expect(sleeps).toEqual([100, 200]);
  });

  it('should give up after the attempts allowed with the last error', async () => {
    const { sleeps, policy } = recorded({ attempts: 3 });
    const tried: number[] = [];
    const run = retry(policy, async (n) => {
      tried.push(n);
      return failure(`attempt ${n}`);
    });
    await expect(run).rejects.toThrow('attempt 3');
    expect(tried).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('should honour Retry-After between attempts', async () => {
    const { sleeps, policy } = recorded();
    const answers: Attempt<string>[] = [failure('busy', { retryAfterMs: 3000 }), { ok: true, value: 'ok' }];
    expect(await retry(policy, async (n) => answers[n - 1]!)).toBe('ok');
    expect(sleeps).toEqual([3000]);
  });

  it('should not try again what the attempt says is not retryable, nor an exception', async () => {
    const { sleeps, policy } = recorded();
    let tries = 0;
    await expect(
      retry(policy, async () => {
        tries++;
        return failure('refused', { retryable: false });
      }),
    ).rejects.toThrow('refused');
    await expect(
      retry(policy, async () => {
        tries++;
        throw new Error('broken');
      }),
    ).rejects.toThrow('broken');
    expect(tries).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('should not sleep past its budget, even for a Retry-After above the cap', async () => {
    const { sleeps, policy } = recorded({ budgetMs: 5000, maxMs: 1000 });
    let tries = 0;
    const run = retry(policy, async () => {
      tries++;
      return failure('later', { retryAfterMs: 120_000 });
    });
    await expect(run).rejects.toThrow('later');
    expect(tries).toBe(1);
    expect(sleeps).toEqual([]);
  });
});
