/**
 * The read model: an in-memory projection of every runtime record, so that lists, details, the
 * summary and the versions view cost no storage call. Replicas share nothing but storage, so each
 * keeps its own projection:
 *
 * - **Cold start** reads every record once (`start`).
 * - **Its own writes** are read back when written (`ObservedStorage`), before the write returns:
 *   the next read on this replica shows them.
 * - **Other replicas' writes** arrive through the event log: the read model listens to the
 *   process's shared tail of the log (events/tail.ts, which reads it every `tailPollMs`, 500 ms,
 *   backing off to 2 s while the log is quiet) and reads again the records the events name. A read
 *   on this replica therefore lags a write on another by about a second while the log is busy and
 *   under 3 s after a quiet spell: the time the log takes to number the event (its sequencer looks
 *   every 250 ms), one tail interval, and one read of the record.
 * - **Writes whose event came first**: a lock is released just after `operation.completed` is
 *   appended; a record that still shows the lock of a completed operation is read again every
 *   second until the release shows. Locks left by crashes are read again by the engine's sweep
 *   (`lockedSince`), so a release without any event is seen too.
 * - **The bound holds or reads stop**: while following the log, it confirms every second that the
 *   log was read lately (by the tail, or by a look of its own); when that has failed for `staleAfterMs` (a storage outage, a partition), reads answer 503
 *   rather than an old state as if it were current.
 */
import type { ServiceEvent } from '../../domain/runtime';
import type { Logger } from '../../logger';
import { PollLoop } from '../../infra/pollLoop';
import type { EventLog } from '../events/eventLog';
import type { TailSubscription } from '../events/tail';
import { runtimeKey } from '../model';
import type { RuntimeRecord } from '../model';
import { Collection, type Stored } from '../../storage/collection';
import { type Storage, StorageUnavailableError, storageOutageOf } from '../../storage/storage';
import type { VersionStore } from '../versions/versionStore';
import { ObservedStorage } from './observedStorage';
import { type ProjectedRuntime, RuntimeProjection } from './projection';

/** What the sweeps read instead of every record. */
export interface RuntimeIndex {
  /** Every runtime as projected, in key order. */
  records(): Iterable<RuntimeRecord>;
  /** Reads these records again from storage into the projection. */
  refresh(keys: string[]): Promise<void>;
  get(key: string): RuntimeRecord | undefined;
  /** The record as projected, with the eTag it had when read: a hint for a write, never proof. */
  stored(key: string): Stored<RuntimeRecord> | undefined;
  /** Keys of the runtimes locked by an operation created at or before `epochMs`. */
  lockedSince(epochMs: number): string[];
}

export interface ReadModelOptions {
  /** The plain storage: the read model only reads. */
  storage: Storage;
  events: EventLog;
  versions: VersionStore;
  log: Logger;
  /**
   * While following the log: how long the read model may go without confirming that it is current
   * (a successful look at the log) before reads answer 503 instead of an unbounded lag. Default 5 s.
   */
  staleAfterMs?: number;
}

const EVENTS_PER_PAGE = 500;
/** Records read in one storage call: a Blob backend makes one request per record. */
const READ_CHUNK = 100;
/** How often records waiting for a lock release, or a failed read-back, are read again. */
const RECHECK_MS = 1000;
/** How long a record that still shows a completed operation's lock is watched for its release. */
const SETTLE_MS = 60_000;
/** Versions can also arrive without an event (a registry's existing tags): look this often. */
const VERSIONS_EVERY_MS = 30_000;
/** After the tail failed, when to listen again. */
const RESUBSCRIBE_MS = 5000;
const STALE_AFTER_MS = 5000;
/** A successful read by the tail this recent confirms the log as well as a look of the read model's own. */
const CONFIRMED_BY_TAIL_MS = 2500;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class RuntimeReadModel implements RuntimeIndex {
  readonly projection = new RuntimeProjection();
  private readonly runtimes: Collection<RuntimeRecord>;
  private readonly log: Logger;
  /** The id of the last event applied; undefined until the first load. */
  private position?: string;
  /** Records to read again in the next batch, and who waits for them. */
  private queued = new Set<string>();
  private waiters: Waiter[] = [];
  private reading?: Promise<void>;
  /** Event pages are applied one after another, whoever brings them (the tail, `catchUp`). */
  private applying: Promise<unknown> = Promise.resolve();
  /** Records whose read-back failed; the next recheck tries again. */
  private readonly stale = new Set<string>();
  /** Records still showing the lock of an operation that completed: key → operation id and deadline. */
  private readonly settling = new Map<string, { operationId: string; until: number }>();
  private subscription?: TailSubscription;
  /** Present while following the log. */
  private recheck?: PollLoop;
  private resubscribe?: NodeJS.Timeout;
  private lastVersions = 0;
  private stopped = false;
  /** When the read model last knew itself current (a look at the log succeeded), in real time. */
  private confirmedAt = Date.now();
  private problem?: unknown;

  constructor(private readonly o: ReadModelOptions) {
    this.runtimes = new Collection(o.storage, 'runtimes');
    this.log = o.log;
  }

  /** The storage every writer of runtime records should use. */
  observe(storage: Storage): Storage {
    return new ObservedStorage(storage, (keys) => this.readBack(keys));
  }

  /** Cold start: reads every record, and the published versions, once. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.refreshVersions();
    // The position first: an event after it is tailed; a write before it is in what is read next.
    const position = await this.o.events.lastId();
    await this.refresh(await this.runtimes.ids());
    this.position = position;
    this.confirmedAt = Date.now();
    this.log.info('read model loaded', { runtimes: this.projection.size, position });
  }

  /** Follows the log through the process's shared tail, and rechecks what waits, until stopped. */
  startTailing(): void {
    if (this.recheck) return;
    this.listen();
    this.recheck = new PollLoop(() => this.followUp(), {
      busyMs: RECHECK_MS,
      log: this.log,
      name: 'read model recheck',
    });
    this.recheck.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.close();
    this.subscription = undefined;
    clearTimeout(this.resubscribe);
    const recheck = this.recheck;
    this.recheck = undefined;
    await recheck?.stop();
    await this.applying.catch(() => undefined);
    await this.reading?.catch(() => undefined);
  }

  /** The newest event this projection reflects (it may reflect newer writes of this replica too). */
  lastEventId(): string | undefined {
    return this.position;
  }

  /**
   * Throws StorageUnavailableError when, while following the log, the read model has not been able
   * to look at it for `staleAfterMs`: a read must not show an arbitrarily old state as current.
   */
  assertCurrent(): void {
    const staleFor = Date.now() - this.confirmedAt;
    if (!this.recheck || staleFor <= (this.o.staleAfterMs ?? STALE_AFTER_MS)) return;
    const outage = storageOutageOf(this.problem);
    throw new StorageUnavailableError(
      `the read model could not look at the event log for ${Math.round(staleFor / 1000)} s`,
      outage?.retryAfterSeconds ?? 5,
      { cause: this.problem },
    );
  }

  /**
   * Reads the log after the position once and applies what it finds, then rechecks what waits;
   * returns how many events there were. For tests and tools that run without the tail.
   */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (;;) {
      const events = await this.o.events.after(this.position, EVENTS_PER_PAGE);
      applied += await this.enqueue(events);
      if (events.length < EVENTS_PER_PAGE) break;
    }
    this.confirmedAt = Date.now();
    await this.housekeeping();
    return applied;
  }

  records(): Iterable<RuntimeRecord> {
    return mapIterable(this.projection.all(), (e) => e.record);
  }

  get(key: string): RuntimeRecord | undefined {
    return this.projection.get(key)?.record;
  }

  stored(key: string): Stored<RuntimeRecord> | undefined {
    const entry = this.projection.get(key);
    return entry && { ...entry.record, eTag: entry.eTag };
  }

  entry(key: string): ProjectedRuntime | undefined {
    return this.projection.get(key);
  }

  /** Keys of the runtimes locked by an operation created at or before `epochMs`, for the lock repair. */
  lockedSince(epochMs: number): string[] {
    const keys: string[] = [];
    for (const e of this.projection.all()) {
      const created = e.record.activeOperation && Date.parse(e.record.activeOperation.createdOn);
      if (created !== undefined && !(created > epochMs)) keys.push(e.key);
    }
    return keys;
  }

  /**
   * Reads these records again and applies them. Reads run one batch at a time, so a read that
   * starts later never sees an older state than one that started earlier.
   */
  refresh(keys: string[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    for (const key of keys) this.queued.add(key);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.startReading();
    return done;
  }

  private startReading(): void {
    if (this.reading) return;
    this.reading = this.drain().finally(() => {
      this.reading = undefined;
      if (this.queued.size > 0) this.startReading(); // asked for between the last batch and now
    });
  }

  private async drain(): Promise<void> {
    while (this.queued.size > 0) {
      const keys = [...this.queued];
      this.queued.clear();
      const waiters = this.waiters.splice(0);
      try {
        for (let i = 0; i < keys.length; i += READ_CHUNK) {
          const chunk = keys.slice(i, i + READ_CHUNK);
          const found = new Map(await this.runtimes.getManyWithIds(chunk));
          for (const key of chunk) this.projection.apply(key, found.get(key));
        }
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
  }

  /** After this replica wrote: read the records back; a failure is retried by the next housekeeping. */
  private async readBack(keys: string[]): Promise<void> {
    try {
      await this.refresh(keys);
    } catch (error) {
      for (const key of keys) this.stale.add(key);
      this.log.warn('read model: reading back a written runtime failed; will retry', { error });
    }
  }

  /** Subscribes to the shared tail from the position; after a failure, again a little later. */
  private listen(): void {
    if (this.stopped || this.position === undefined) return;
    const retry = (error: unknown) => {
      this.log.warn('read model: following the event log failed; listening again shortly', { error });
      this.subscription = undefined;
      this.resubscribe = setTimeout(() => this.listen(), RESUBSCRIBE_MS);
      this.resubscribe.unref();
    };
    this.o.events.tail
      .subscribe(
        Number(this.position),
        (events) => void this.enqueue(events).catch(() => undefined), // a failed read is retried by housekeeping
        retry,
      )
      .then((subscription) => {
        if (this.stopped) subscription.close();
        else this.subscription = subscription;
      }, retry);
  }

  /** Applies a page of events after those before it; resolves with how many were new. */
  private enqueue(events: ServiceEvent[]): Promise<number> {
    const next = this.applying.then(() => this.apply(events));
    this.applying = next.catch(() => undefined);
    return next;
  }

  private async apply(events: ServiceEvent[]): Promise<number> {
    const after = this.position === undefined ? -1 : Number(this.position);
    const fresh = events.filter((e) => Number(e.id) > after);
    if (fresh.length === 0) return 0;
    const keys = new Set<string>();
    const completed = new Map<string, string>();
    let versions = false;
    for (const e of fresh) {
      const name = e.data.runtimeName;
      const key = typeof name === 'string' && name && !name.includes('/') ? runtimeKey(name) : undefined;
      if (key) keys.add(key);
      const op = e.data.operation as { id?: unknown } | undefined;
      if (key && e.type === 'operation.completed' && typeof op?.id === 'string') completed.set(key, op.id);
      if (e.type === 'image.released') versions = true;
    }
    try {
      if (versions) await this.refreshVersions();
      await this.refresh([...keys]);
    } catch (error) {
      // The position moves on: the records are read again by the next recheck.
      for (const key of keys) this.stale.add(key);
      this.log.warn('read model: reading the runtimes an event names failed; will retry', { error });
    }
    for (const [key, operationId] of completed) {
      if (this.get(key)?.activeOperation?.id === operationId)
        this.settling.set(key, { operationId, until: Date.now() + SETTLE_MS });
    }
    this.position = fresh.at(-1)!.id;
    return fresh.length;
  }

  /**
   * Once a second while following the log: confirms that the log can be read (by the tail's last
   * successful read, or by a look of its own when the tail has not read lately), reads again what
   * failed to read back and the records still waiting for a lock release, and now and then the
   * versions. An idle second costs no storage call.
   */
  private async followUp(): Promise<void> {
    const tailRead = this.o.events.tail.lastReadAt;
    if (Date.now() - tailRead < CONFIRMED_BY_TAIL_MS) {
      // The tail read the log a moment ago: that confirms it as well as a look of our own.
      this.confirmedAt = Math.max(this.confirmedAt, tailRead);
      this.problem = undefined;
    } else {
      try {
        await this.o.events.lastId();
        this.confirmedAt = Date.now();
        this.problem = undefined;
      } catch (error) {
        this.problem = error;
        return; // storage is away: nothing else would succeed either
      }
    }
    await this.housekeeping();
  }

  /** Reads again what failed to read back, and the records still waiting for a lock release. */
  private async housekeeping(): Promise<void> {
    const now = Date.now();
    for (const [key, s] of this.settling) {
      if (s.until < now || this.get(key)?.activeOperation?.id !== s.operationId) this.settling.delete(key);
    }
    const retry = [...this.stale];
    this.stale.clear();
    try {
      await this.refresh([...retry, ...this.settling.keys()]);
    } catch (error) {
      for (const key of retry) this.stale.add(key);
      this.log.warn('read model: reading runtimes again failed; will retry', { error });
    }
    if (now - this.lastVersions > VERSIONS_EVERY_MS) await this.refreshVersions();
  }

  private async refreshVersions(): Promise<void> {
    this.lastVersions = Date.now();
    await this.o.versions.refresh();
  }
}

function* mapIterable<T, U>(items: Iterable<T>, fn: (item: T) => U): Iterable<U> {
  for (const item of items) yield fn(item);
}
