/**
 * The durable, ordered event log behind `GET /v1/events` (SSE and `?after=` pages) and the bot's
 * notifier. Its public contract: numeric ids (`^\d{1,12}$`, compared as numbers), readers that
 * never miss an event and never see one twice, cursors that resume on any replica. Its shape
 * follows from one rule: no record is written by every change, so concurrent writers, on any
 * number of replicas, never contend.
 *
 * - Writers append to an inbox (inbox.ts): a create-only item under a key only they produce.
 *   An append costs one write and never conflicts.
 * - A sequencer (sequencer.ts), which every replica runs under a lease, numbers what waits in the
 *   inbox and appends it to the log in pages of `pageSize` events (pages.ts). Only the lease holder
 *   writes pages, once per round of up to a page of events (not once per change), with eTags, so
 *   a stale holder's write fails. The lease is taken only when the inbox holds something: an idle
 *   log writes nothing.
 * - Who looks at the inbox: the appending process wakes its own sequencer at once (appends that
 *   arrive during a round wait for one more round, together), and numbers the events it appended
 *   itself from memory, reading only the others' from the inbox. The holder
 *   looks every `busyPollMs` (250 ms) while its lease lasts, and so does a process whose own
 *   appends still wait (to take over if the holder died); every other replica looks every
 *   `idlePollMs` (30 s), for events a writer left behind when it died right after appending.
 * - Readers read pages from their cursor: a GET per page, whatever the number of events, and no
 *   listing. A process serves all its SSE streams from one shared tail (tail.ts).
 * - Retention: pages older than `retainMs` (default 7 days) are dropped, and never more than
 *   `retainPages` (default 200 pages, 20,000 events) are kept; a reader behind the oldest kept
 *   page resumes at the oldest kept event.
 *
 * Order. Ids follow the order in which events reach the log. Within one round the sequencer
 * orders the waiting events by inbox key: the writer's clock, then the writer's own count. So:
 * - one process's appends that do not overlap in time keep their order (its keys only grow);
 * - an event appended after another one was numbered always gets a greater id;
 * - two events from different replicas that wait in the same round are ordered by their clocks,
 *   which is right unless the clocks are further apart than the time between the two appends.
 * That suffices for one runtime's events, which are causally chained: the engine appends a step's
 * events while it still holds the operation's lease (so the next step, on any replica, starts
 * after they are in the inbox), and a round sees an inbox item only after every item that was
 * complete before it was written. Two causally chained events can only be reordered if they wait
 * in the same round (under a second when a sequencer runs) and the clocks differ by more than the
 * gap between them; NTP keeps replicas within milliseconds of each other.
 *
 * `append` returns once the event is in the inbox, before it has an id. `settled()` waits until
 * this process's appends are in the log, for tests and scripts. `onLocal` listeners hear of the
 * events this process's sequencer writes (whoever appended them) at once; events numbered by
 * another replica are found by reading (`after`, or the tail).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { type Clock, iso } from '../../clock';
import type { ServiceEvent, ServiceEventType } from '../../domain/runtime';
import { createLogger, type Logger } from '../../logger';
import { Rerun } from '../../infra/rerun';
import type { Storage } from '../../storage/storage';
import { type InboxEntry, InboxWriter } from './inbox';
import { type PagedEvent, PageStore } from './pages';
import { Sequencer } from './sequencer';
import { EventTail } from './tail';

export interface EventLogOptions {
  log?: Logger;
  pageSize?: number;
  retainPages?: number;
  retainMs?: number;
  leaseMs?: number;
  /** How often the lease holder, or a process whose appends wait, looks at the inbox. */
  busyPollMs?: number;
  /** How often every other process looks at the inbox. */
  idlePollMs?: number;
  /** How often the shared tail reads the log while streams are open. */
  tailPollMs?: number;
}

const ID_WIDTH = 12;
const MAX_ID = 10 ** ID_WIDTH - 1;
const toId = (n: number) => String(n).padStart(ID_WIDTH, '0');

export class EventLog {
  readonly tail: EventTail;
  private readonly pages: PageStore;
  private readonly writer: InboxWriter;
  private readonly sequencer: Sequencer;
  private readonly local = new EventEmitter();
  private readonly log: Logger;
  /** Inbox names this process wrote and does not know to be numbered, with the number of their write. */
  private readonly unsequenced = new Map<string, number>();
  /** What those names hold: the sequencer numbers them without reading them back. */
  private readonly entries = new Map<string, InboxEntry[]>();
  private readonly writing = new Set<Promise<unknown>>();
  private writes = 0;
  private readonly sequencing: Rerun;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
    private readonly options: EventLogOptions = {},
  ) {
    this.log = options.log ?? createLogger('silent');
    this.sequencing = new Rerun(
      () => this.sequencePass(),
      () => !this.stopped,
    );
    this.pages = new PageStore(storage, options.pageSize ?? 100);
    this.writer = new InboxWriter(storage, clock);
    const local = { entry: (name: string) => this.entries.get(name) };
    this.sequencer = new Sequencer(storage, this.pages, clock, this.log, (events) => this.committed(events), local, {
      owner: `sequencer-${process.pid}-${randomBytes(3).toString('hex')}`,
      leaseMs: options.leaseMs ?? 10_000,
      retainPages: options.retainPages ?? 200,
      retainMs: options.retainMs ?? 7 * 86_400_000,
    });
    this.tail = new EventTail(
      (after, limit) => this.readEvents(after, limit),
      () => this.pages.lastId(),
      options.tailPollMs ?? 500,
      this.log,
    );
    this.local.setMaxListeners(0);
  }

  /** Puts an event in the inbox; it gets its id a moment later (see `settled`). */
  async append(type: ServiceEventType, data: Record<string, unknown>): Promise<void> {
    await this.appendAll([{ type, data }]);
  }

  /**
   * Puts events in the inbox with one write, in this order; they get consecutive ids in one round.
   * For the events of one moment (a step's change and the operation's end): one write, not one each.
   */
  async appendAll(events: { type: ServiceEventType; data: Record<string, unknown> }[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length > this.pages.size) throw new Error(`at most ${this.pages.size} events can be appended together`);
    const name = this.writer.nextName();
    const time = iso(this.clock.now());
    const entries: InboxEntry[] = events.map(({ type, data }) => ({ type, time, data }));
    const write = this.writer.write(name, entries.length === 1 ? entries[0] : { batch: entries });
    const tracked = write.catch(() => undefined);
    this.writing.add(tracked);
    try {
      await write;
    } finally {
      this.writing.delete(tracked);
    }
    this.unsequenced.set(name, ++this.writes);
    this.entries.set(name, entries);
    void this.sequence();
  }

  /** Events with an id greater than `afterId`, oldest first, at most `limit`. */
  async after(afterId: string | undefined, limit = 500): Promise<ServiceEvent[]> {
    return this.readEvents(cursorOf(afterId), limit);
  }

  /** Like `after`, with the id of the newest event in the log. */
  async page(afterId: string, limit: number): Promise<{ events: ServiceEvent[]; head: string }> {
    const { events, head } = await this.pages.read(cursorOf(afterId), limit);
    return { events: events.map(toServiceEvent), head: toId(head ?? (await this.pages.lastId())) };
  }

  /** The id of the newest event, for clients that only want what comes next. */
  async lastId(): Promise<string> {
    return toId(await this.pages.lastId());
  }

  /** Hears of the events this process's sequencer writes, at once (see the header). */
  onLocal(listener: (event: ServiceEvent) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }

  /** Resolves once every event appended here so far is in the log; for tests and scripts. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(this.writing);
    while (this.unsequenced.size > 0) {
      await this.sequence();
      if (this.unsequenced.size === 0) return;
      if (Date.now() > deadline) throw new Error(`${this.unsequenced.size} appended events are not in the log yet`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Starts looking at the inbox on a timer (the appending process needs none for its own events). */
  start(): void {
    this.stopped = false;
    this.polling = true;
    this.schedule();
  }

  /** Stops the timers and the tail, and gives the sequencer's lease back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.polling = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.tail.stop();
    await this.sequencing.current;
    await this.sequencer.stop().catch((error) => this.log.warn('could not give the sequencer lease back', { error }));
  }

  /** Numbers what waits in the inbox now, or once more after the pass under way; then schedules the next look. */
  private sequence(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.sequencing.run().finally(() => this.schedule());
  }

  private async sequencePass(): Promise<void> {
    try {
      const horizon = this.writes;
      const waiting = await this.sequencer.run();
      // Written before this pass looked, and no longer waiting: numbered (here or elsewhere).
      for (const [name, at] of this.unsequenced) {
        if (at <= horizon && !waiting.has(name)) this.forget(name);
      }
    } catch (error) {
      this.log.warn('numbering events failed; will retry', { error });
    }
  }

  /**
   * The next look at the inbox: soon while this process holds the lease or has events waiting
   * (whatever `start` said: that is part of appending), rarely otherwise, and never before `start`.
   */
  private schedule(): void {
    if (this.stopped || this.timer) return;
    const busy = this.sequencer.holding() || this.unsequenced.size > 0;
    if (!busy && !this.polling) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.sequence();
      },
      busy ? (this.options.busyPollMs ?? 250) : (this.options.idlePollMs ?? 30_000),
    );
    this.timer.unref();
  }

  private forget(name: string): void {
    this.unsequenced.delete(name);
    this.entries.delete(name);
  }

  private committed(paged: PagedEvent[]): void {
    const events = paged.map(toServiceEvent);
    for (const event of paged) this.forget(event.key);
    this.tail.offer(events);
    for (const event of events) {
      try {
        this.local.emit('event', event);
      } catch (error) {
        this.log.warn('an event listener failed', { error });
      }
    }
  }

  private async readEvents(after: number, limit: number): Promise<ServiceEvent[]> {
    return (await this.pages.read(after, limit)).events.map(toServiceEvent);
  }
}

/** A cursor as a number: ids are compared as numbers; anything else reads from the start. */
function cursorOf(afterId: string | undefined): number {
  return afterId && /^\d{1,12}$/.test(afterId) ? Math.min(Number(afterId), MAX_ID) : 0;
}

function toServiceEvent(event: PagedEvent): ServiceEvent {
  return { id: toId(event.id), type: event.type, time: event.time, data: event.data };
}
