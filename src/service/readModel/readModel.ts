/**
 * The read model: an in-memory projection of every runtime record, so that lists, details, the
 * summary and the versions view cost no storage call. Replicas share nothing but storage, so each
 * keeps its own projection:
 *
 * - **Cold start** reads every record once (`start`).
 * - **Its own writes** are read back when written (`ObservedStorage`), before the write returns:
 *   the next read on this replica shows them.
 * - **Other replicas' writes** arrive through the shared event log. Every `tailMs` (1 s) the read
 *   model reads the events after its position and reads again the records they name. A read on
 *   this replica therefore lags a write on another by at most the tail interval, plus the time the
 *   event log takes to sequence an event and one read of the record.
 * - **Writes whose event came first**: a lock is released just after `operation.completed` is
 *   appended; a record that still shows the lock of a completed operation is read again on the next
 *   rounds until the release shows. Locks left by crashes are re-read by the engine's sweep
 *   (`lockedSince`), so a release without any event is seen too.
 * - **A long silence** (the tail failed, or the process was suspended, for a minute): events may
 *   have been pruned meanwhile, so every record is read again instead.
 */
import { runtimeKey } from '../model';
import type { RuntimeRecord } from '../model';
import type { EventLog } from '../events/eventLog';
import type { Logger } from '../../logger';
import { Collection } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
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
  /** Keys of the runtimes locked by an operation created at or before `epochMs`. */
  lockedSince(epochMs: number): string[];
}

export interface ReadModelOptions {
  /** The plain storage: the read model only reads. */
  storage: Storage;
  events: EventLog;
  versions: VersionStore;
  log: Logger;
  /** Between two looks at the event log; the most that reads lag other replicas' writes. Default 1 s. */
  tailMs?: number;
}

export const DEFAULT_TAIL_MS = 1000;
const EVENTS_PER_PAGE = 500;
/** Records read in one storage call: a Blob backend makes one request per record. */
const READ_CHUNK = 100;
/** How long a record that still shows a completed operation's lock is watched for its release. */
const SETTLE_MS = 60_000;
/** Versions can also arrive without an event (a registry's existing tags): look this often. */
const VERSIONS_EVERY_MS = 30_000;
/** A tail silent for this long may have missed pruned events: read every record instead. */
const REBUILD_AFTER_MS = 60_000;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class RuntimeReadModel implements RuntimeIndex {
  readonly projection = new RuntimeProjection();
  readonly tailMs: number;
  private readonly runtimes: Collection<RuntimeRecord>;
  private readonly log: Logger;
  /** The id of the last event applied; undefined until the first load. */
  private position?: string;
  /** Records to read again in the next batch, and who waits for them. */
  private queued = new Set<string>();
  private waiters: Waiter[] = [];
  private reading?: Promise<void>;
  /** Records whose read-back failed; the next tail round tries again. */
  private readonly stale = new Set<string>();
  /** Records still showing the lock of an operation that completed: key → operation id and deadline. */
  private readonly settling = new Map<string, { operationId: string; until: number }>();
  private tailing?: Promise<number>;
  private timer?: NodeJS.Timeout;
  private lastTail = 0;
  private lastVersions = 0;
  private failing = false;

  constructor(private readonly o: ReadModelOptions) {
    this.runtimes = new Collection(o.storage, 'runtimes');
    this.log = o.log;
    this.tailMs = o.tailMs ?? DEFAULT_TAIL_MS;
  }

  /** The storage every writer of runtime records should use. */
  observe(storage: Storage): Storage {
    return new ObservedStorage(storage, (keys) => this.readBack(keys));
  }

  /** Cold start: reads every record, and the published versions, once. */
  async start(): Promise<void> {
    await this.refreshVersions();
    await this.rebuild();
  }

  /** Tails the event log every `tailMs` until stopped. */
  startTailing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.tailing) void this.catchUp().catch(() => undefined); // logged in tailOnce
    }, this.tailMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.tailing?.catch(() => undefined);
    await this.reading?.catch(() => undefined);
  }

  /** The newest event this projection reflects (it may reflect newer writes of this replica too). */
  lastEventId(): string | undefined {
    return this.position;
  }

  /** One round of tailing: applies the events after the position. Returns how many there were. */
  catchUp(): Promise<number> {
    this.tailing ??= this.tailOnce().finally(() => {
      this.tailing = undefined;
    });
    return this.tailing;
  }

  records(): Iterable<RuntimeRecord> {
    return mapIterable(this.projection.all(), (e) => e.record);
  }

  get(key: string): RuntimeRecord | undefined {
    return this.projection.get(key)?.record;
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

  /** After this replica wrote: read the records back; a failure is retried by the next tail round. */
  private async readBack(keys: string[]): Promise<void> {
    try {
      await this.refresh(keys);
    } catch (error) {
      for (const key of keys) this.stale.add(key);
      this.log.warn('read model: reading back a written runtime failed; will retry', { error });
    }
  }

  private async rebuild(): Promise<void> {
    // The position first: an event after it is tailed; a write before it is in what is read next.
    const position = await this.o.events.lastId();
    const listed = await this.runtimes.ids();
    await this.refresh([...new Set([...listed, ...this.projection.allKeys()])]);
    this.position = position;
    this.lastTail = Date.now();
    this.log.info('read model loaded', { runtimes: this.projection.size, position });
  }

  private async tailOnce(): Promise<number> {
    try {
      if (this.position === undefined || Date.now() - this.lastTail > REBUILD_AFTER_MS) {
        if (this.position !== undefined) this.log.warn('read model: the event log was not read for a while; reloading');
        await this.rebuild();
        return 0;
      }
      let applied = 0;
      for (;;) {
        const events = await this.o.events.after(this.position, EVENTS_PER_PAGE);
        if (events.length === 0) break;
        const keys = new Set<string>();
        const completed = new Map<string, string>();
        let versions = false;
        for (const e of events) {
          const name = e.data.runtimeName;
          const key = typeof name === 'string' && name && !name.includes('/') ? runtimeKey(name) : undefined;
          if (key) keys.add(key);
          const op = e.data.operation as { id?: unknown } | undefined;
          if (key && e.type === 'operation.completed' && typeof op?.id === 'string') completed.set(key, op.id);
          if (e.type === 'image.released') versions = true;
        }
        if (versions) await this.refreshVersions();
        await this.refresh([...keys]);
        for (const [key, operationId] of completed) {
          if (this.get(key)?.activeOperation?.id === operationId)
            this.settling.set(key, { operationId, until: Date.now() + SETTLE_MS });
        }
        this.position = events.at(-1)!.id;
        applied += events.length;
        if (events.length < EVENTS_PER_PAGE) break;
      }
      await this.recheck();
      if (Date.now() - this.lastVersions > VERSIONS_EVERY_MS) await this.refreshVersions();
      this.lastTail = Date.now();
      if (this.failing) this.log.info('read model: tailing the event log again');
      this.failing = false;
      return applied;
    } catch (error) {
      if (!this.failing) this.log.warn('read model: tailing the event log failed; reads may lag', { error });
      this.failing = true;
      throw error;
    }
  }

  /** Reads again what failed to read back, and the records still waiting for a lock release. */
  private async recheck(): Promise<void> {
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
      throw error;
    }
  }

  private async refreshVersions(): Promise<void> {
    this.lastVersions = Date.now();
    await this.o.versions.refresh();
  }
}

function* mapIterable<T, U>(items: Iterable<T>, fn: (item: T) => U): Iterable<U> {
  for (const item of items) yield fn(item);
}
