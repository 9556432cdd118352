/**
 * One reader of the event log per process, shared by every open event stream. While anyone
 * listens it polls the log, however many listeners there are (every `pollMs` while events come,
 * less often while none do), and hands each new event to all of them; this process's sequencer
 * hands over what it writes at once, so those events need no poll. A subscriber that starts
 * behind (a resumed Last-Event-ID) first catches up from the pages while the live events wait in
 * its buffer, then joins the live feed. Each subscriber gets every event once, in log order.
 */
import type { ServiceEvent } from '../../domain/runtime';
import type { Logger } from '../../logger';
import { Rerun } from '../../infra/rerun';

export type TailRead = (after: number, limit: number) => Promise<ServiceEvent[]>;

export interface TailSubscription {
  /** The id after which this subscriber's events start. */
  readonly from: number;
  close(): void;
}

/** Events per read of the pages. */
const READ_LIMIT = 500;
/**
 * An idle log is polled this many times less often: another replica's first event after a quiet
 * spell reaches this one within 4 × `pollMs` (2 s by default), and a busy log is polled at `pollMs`.
 */
const IDLE_FACTOR = 4;

export class EventTail {
  private readonly subscribers = new Set<Subscriber>();
  /** The newest id handed to the subscribers; undefined while nobody listens. */
  private cursor?: number;
  private starting?: Promise<number>;
  private timer?: NodeJS.Timeout;
  private readonly polling = new Rerun(
    () => this.pollPass(),
    () => this.cursor !== undefined,
  );
  /** Polls of the log so far, for tests and metrics. */
  polls = 0;
  /** When a read of the log last succeeded (real time): readers of the tail are current as of then. */
  lastReadAt = 0;
  /** The pause before the next poll: `pollMs` while events come, doubling to IDLE_FACTOR × that while none do. */
  private delay: number;

  constructor(
    private readonly read: TailRead,
    private readonly lastId: () => Promise<number>,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {
    this.delay = pollMs;
  }

  /**
   * Delivers every event after `from` (default: from now on) to `deliver`, in order. A failure to
   * catch up ends the subscription through `onError`; the client resumes with its last id.
   */
  async subscribe(
    from: number | undefined,
    deliver: (events: ServiceEvent[]) => void,
    onError: (error: unknown) => void,
  ): Promise<TailSubscription> {
    const now = await this.start();
    const subscriber = new Subscriber(from ?? now, deliver);
    this.subscribers.add(subscriber);
    this.schedule();
    void this.catchUp(subscriber).catch((error) => {
      this.remove(subscriber);
      onError(error);
    });
    return { from: from ?? now, close: () => this.remove(subscriber) };
  }

  /** Events this process's sequencer just wrote: delivered without a read when nothing came between. */
  offer(events: ServiceEvent[]): void {
    if (this.cursor === undefined || events.length === 0) return;
    this.delay = this.pollMs; // the log is busy: other replicas' events may follow soon
    if (Number(events[0].id) === this.cursor + 1) this.publish(events);
    else void this.poll(); // another replica's events came in between
  }

  listeners(): number {
    return this.subscribers.size;
  }

  stop(): void {
    for (const subscriber of this.subscribers) this.remove(subscriber);
  }

  private async start(): Promise<number> {
    if (this.cursor !== undefined) return this.cursor;
    this.starting ??= this.lastId()
      .then((id) => (this.cursor ??= id))
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  private async catchUp(subscriber: Subscriber): Promise<void> {
    while (!subscriber.closed && this.cursor !== undefined && subscriber.cursor < this.cursor) {
      const events = await this.read(subscriber.cursor, READ_LIMIT);
      if (events.length === 0) break;
      subscriber.emit(events);
    }
    subscriber.goLive();
  }

  private remove(subscriber: Subscriber): void {
    subscriber.closed = true;
    this.subscribers.delete(subscriber);
    if (this.subscribers.size > 0) return;
    // Nobody listens: stop polling, and start again from the head when someone comes back.
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cursor = undefined;
    this.delay = this.pollMs;
  }

  private schedule(): void {
    if (this.timer || this.subscribers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, this.delay);
    this.timer.unref();
  }

  /** Reads what is new now, or once more after the read under way. */
  private poll(): Promise<void> {
    return this.polling.run();
  }

  private async pollPass(): Promise<void> {
    this.polls += 1;
    let found = false;
    try {
      while (this.cursor !== undefined) {
        const events = await this.read(this.cursor, READ_LIMIT);
        this.lastReadAt = Date.now();
        if (this.publish(events)) found = true;
        if (events.length < READ_LIMIT) break;
      }
    } catch (error) {
      this.log.warn('reading new events failed; will retry', { error });
    }
    this.delay = found ? this.pollMs : Math.min(this.delay * 2, this.pollMs * IDLE_FACTOR);
  }

  /** Hands the events the subscribers have not had to them; true when there were any. */
  private publish(events: ServiceEvent[]): boolean {
    if (this.cursor === undefined) return false;
    const cursor = this.cursor;
    const fresh = events.filter((e) => Number(e.id) > cursor);
    if (fresh.length === 0) return false;
    this.cursor = Number(fresh[fresh.length - 1].id);
    for (const subscriber of this.subscribers) subscriber.push(fresh);
    return true;
  }
}

/** One listener: its own cursor, and a buffer for live events while it catches up. */
class Subscriber {
  live = false;
  closed = false;
  private buffer: ServiceEvent[] = [];

  constructor(
    public cursor: number,
    private readonly deliver: (events: ServiceEvent[]) => void,
  ) {}

  push(events: ServiceEvent[]): void {
    if (this.live) this.emit(events);
    else this.buffer.push(...events);
  }

  emit(events: ServiceEvent[]): void {
    const fresh = events.filter((e) => Number(e.id) > this.cursor);
    if (fresh.length === 0 || this.closed) return;
    this.cursor = Number(fresh[fresh.length - 1].id);
    this.deliver(fresh);
  }

  goLive(): void {
    this.live = true;
    const buffered = this.buffer;
    this.buffer = [];
    this.emit(buffered);
  }
}
