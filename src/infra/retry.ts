/**
 * The one way to wait before trying again, for calls retried in the same turn (`retry`) and for
 * work whose next attempt is stored and picked up later by any replica (`backoffDelay`): outbox
 * items, registry polls, operation steps. A server's Retry-After (seconds or an HTTP date) is
 * honoured, capped; otherwise the delay grows exponentially with bounded jitter, so that many
 * clients that failed together do not retry together.
 *
 * Why not cockatiel (tried, then removed): its retry has no built-in Retry-After, its timers and circuit
 * breaker read `Date.now()` and `setTimeout` rather than our injectable Clock and sleep, and it has
 * no delay function for stored schedules, which are half of our retries. This is the small part
 * we need, in one place.
 */

export interface BackoffPolicy {
  /** The delay after the first failure; it doubles per failure after that. */
  baseMs: number;
  /** The longest delay, jitter and Retry-After included. */
  maxMs: number;
  /**
   * The spread of a delay, as multipliers of the exponential one: [0.5, 1] (the default) waits
   * between half and all of it, [0, 1] is "full jitter", [1, 1] none.
   */
  jitter?: readonly [number, number];
  /**
   * How a server's Retry-After counts: `atLeast` (the default) never retries sooner than asked but
   * keeps a longer backoff; `instead` waits just what the server asked.
   */
  retryAfter?: 'atLeast' | 'instead';
}

/** Milliseconds to wait after `failures` failures in a row (1 for the first). */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 40));
  const [low, high] = policy.jitter ?? [0.5, 1];
  const jittered = exponential * (low + (high - low) * random());
  const wait =
    retryAfterMs === undefined
      ? jittered
      : policy.retryAfter === 'instead'
        ? retryAfterMs
        : Math.max(retryAfterMs, jittered);
  return Math.round(Math.min(policy.maxMs, wait));
}

/**
 * A Retry-After value in ms from `now`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date
 * in the past is 0, anything else undefined. Callers cap it through their policy's `maxMs`.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its month; Date.parse alone would take "-5" for a year.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What one attempt came to: a value, or a failure that may be tried again. */
export type Attempt<T> =
  { ok: true; value: T } | { ok: false; error: unknown; retryable: boolean; retryAfterMs?: number };

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /**
   * The most `retry` sleeps in all: a wait (or a Retry-After) that would pass it is not slept, the
   * error is thrown, and the caller may schedule the next attempt itself.
   */
  budgetMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, says its failure is not retryable, or the attempts or the
 * budget run out; then throws the last failure's error. The attempt decides what is retryable
 * (callers differ: idempotency, statuses); an exception it throws is not retried.
 */
export async function retry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<Attempt<T>>): Promise<T> {
  let slept = 0;
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome.ok) return outcome.value;
    if (!outcome.retryable || n >= policy.attempts) throw outcome.error;
    const wait = backoffDelay(policy, n, outcome.retryAfterMs, policy.random);
    // Within a budget, a Retry-After is never cut short by the cap: past the budget, it goes back to the caller.
    const asked = Math.max(wait, outcome.retryAfterMs ?? 0);
    if (policy.budgetMs !== undefined && slept + asked > policy.budgetMs) throw outcome.error;
    slept += wait;
    await (policy.sleep ?? sleep)(wait);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
