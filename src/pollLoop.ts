/**
 * A background loop that looks in storage for work: every `busyMs` while its rounds find some, and
 * backing off (doubling) to `idleMs` while they find none. On blob storage every look is a billed
 * request, so an idle replica should look a few times a minute, not several times a second. Work
 * this process creates calls `wake()`, which starts a round at once; work that another replica
 * leaves (or that a dead one left) is found within `idleMs`.
 *
 * One round at a time. A round that throws is logged and counts as finding nothing, so that a
 * storage outage is not hammered.
 */
import type { Logger } from './logger';

/**
 * How long an idle loop waits at most: another replica's work (or a dead one's) is picked up
 * within this, and an idle replica makes 720 looks an hour per loop instead of thousands.
 */
export const IDLE_POLL_MS = 5000;

export interface PollLoopOptions {
  /** The pause after a round that found work. */
  busyMs: number;
  /** The longest pause after rounds that found nothing. */
  idleMs: number;
  log: Logger;
  /** For the log line of a failed round. */
  name: string;
}

export class PollLoop {
  private timer?: NodeJS.Timeout;
  private delay: number;
  private running = false;
  private woken = false;
  private stopped = true;

  /** `round` resolves true when it found work (more may follow soon). */
  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly options: PollLoopOptions,
  ) {
    this.delay = options.busyMs;
  }

  start(): void {
    this.stopped = false;
    this.delay = this.options.busyMs;
    this.schedule(this.options.busyMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** There is work now: run a round at once (or right after the one under way), then poll busily. */
  wake(): void {
    if (this.stopped) return;
    this.delay = this.options.busyMs;
    if (this.running) this.woken = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.woken = false;
    let found = false;
    try {
      found = await this.round();
    } catch (error) {
      this.options.log.warn(`${this.options.name} failed; will retry`, { error });
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    const { busyMs, idleMs } = this.options;
    this.delay = found || this.woken ? busyMs : Math.min(idleMs, this.delay * 2);
    this.schedule(this.woken ? 0 : this.delay);
  }
}
