/**
 * The one background loop: every round runs alone (never two at once), the next is scheduled
 * when the last has ended, and `stop()` resolves once the round under way has finished, leaving no
 * timer behind. A loop that looks in storage for work may back off while idle: every `busyMs`
 * while its rounds find some, doubling up to `idleMs` while they find none. On blob storage every
 * look is a billed request, so an idle replica should look a few times a minute, not several times
 * a second. Work this process creates calls `wake()`, which starts a round at once; work that
 * another replica leaves (or that a dead one left) is found within `idleMs`.
 *
 * A round that throws is logged and counts as finding nothing, so that a storage outage is not
 * hammered.
 */
import type { Logger } from '../logger';

/**
 * How long an idle loop waits at most: another replica's work (or a dead one's) is picked up
 * within this, and an idle replica makes 720 looks an hour per loop instead of thousands.
 */
export const IDLE_POLL_MS = 5000;

export interface PollLoopOptions {
  /** The pause after a round that found work (or after every round, for a loop that does not back off). */
  busyMs: number;
  /** The longest pause after rounds that found nothing; by default `busyMs` (no backing off). */
  idleMs?: number;
  log: Logger;
  /** For the log line of a failed round. */
  name: string;
}

export class PollLoop {
  private timer?: NodeJS.Timeout;
  private delay: number;
  private running?: Promise<void>;
  private woken = false;
  private stopped = true;

  /** `round` resolves true when it found work (more may follow soon); a fixed-interval loop may return nothing. */
  constructor(
    private readonly round: () => Promise<boolean | void>,
    private readonly options: PollLoopOptions,
  ) {
    this.delay = options.busyMs;
  }

  /** Starts the rounds, the first after `firstMs` (by default `busyMs`). */
  start(firstMs = this.options.busyMs): void {
    this.stopped = false;
    this.delay = this.options.busyMs;
    this.schedule(firstMs);
  }

  /** Stops the loop: no round starts after this, and it resolves once the one under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** There is work now: run a round at once (or right after the one under way), then poll busily. */
  wake(): void {
    if (this.stopped) return;
    this.delay = this.options.busyMs;
    if (this.running) this.woken = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running ??= this.run().finally(() => (this.running = undefined));
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.woken = false;
    let found = false;
    try {
      found = (await this.round()) === true;
    } catch (error) {
      this.options.log.warn(`${this.options.name} failed; will retry`, { error });
    }
    if (this.stopped) return;
    const { busyMs, idleMs = busyMs } = this.options;
    this.delay = found || this.woken ? busyMs : Math.min(idleMs, this.delay * 2);
    this.schedule(this.woken ? 0 : this.delay);
  }
}
