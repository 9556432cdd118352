/**
 * A circuit breaker for the Azure ML API: after `threshold` consecutive failed attempts (no answer,
 * timeouts, 5xx) calls fail fast for `cooldownMs`, so a down region costs the bot nothing and Azure
 * gets no retry storm. After the cool-down one probe call goes through (half-open): its success
 * closes the circuit, its failure opens it again. Answers such as 404 or 429 prove Azure is up.
 */
import type { Clock } from '../../../clock';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BreakerOptions {
  threshold: number;
  cooldownMs: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt?: number;
  private probing = false;

  constructor(
    private readonly clock: Clock,
    readonly options: BreakerOptions = { threshold: 5, cooldownMs: 30_000 },
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.clock.now() - this.openedAt >= this.options.cooldownMs ? 'halfOpen' : 'open';
  }

  /** Milliseconds until a probe may go through; 0 when closed or half-open. */
  get retryInMs(): number {
    if (this.openedAt === undefined) return 0;
    return Math.max(0, this.openedAt + this.options.cooldownMs - this.clock.now());
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** May a call go out now? In half-open state only one probe at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.options.threshold) this.openedAt = this.clock.now();
    this.probing = false;
  }

  describe(): string {
    const state = this.state;
    if (state === 'closed') return `circuit closed (${this.failures} recent failures)`;
    if (state === 'halfOpen') return 'circuit half-open (probing Azure ML)';
    return `circuit open after ${this.failures} consecutive failures; next probe in ${Math.ceil(this.retryInMs / 1000)} s`;
  }
}
