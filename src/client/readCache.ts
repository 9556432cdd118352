/**
 * What the runtime client keeps of the service's cacheable reads (the summary, list pages): the
 * body, its ETag, and the newest service event it reflects (`X-Last-Event-Id`).
 *
 * - **Revalidation.** A kept answer is asked for again with `If-None-Match`; a 304 costs the
 *   service no work and the client no parsing.
 * - **Between events.** When this process reads the service's event log (the notifier does, every
 *   second, on the replica that holds its lease), a kept answer is used without asking at all,
 *   while: the log showed nothing newer than what the answer reflects, the last look at the log is
 *   at most `quietMs` old, this client changed nothing since, and the answer is at most `maxAgeMs`
 *   old (some of the summary depends on the time). A change elsewhere reaches a read at the latest
 *   one look at the log after its event. Without a recent look, every read revalidates.
 */
export interface KeptAnswer<T> {
  body: T;
  eTag: string;
}

interface Entry {
  body: unknown;
  eTag: string;
  /** The newest event the service said the answer reflects. */
  reflects?: bigint;
  /** When the service last confirmed it (200 or 304), in this process's time. */
  confirmedAt: number;
  /** This client's writes when it was confirmed. */
  writes: number;
}

export interface ReadCacheOptions {
  /** How recent the last look at the event log must be to skip revalidation; 0 always revalidates. */
  quietMs: number;
  /** The oldest answer used without asking. */
  maxAgeMs: number;
  maxEntries: number;
  now: () => number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** The newest event id seen in the service's log, and when the log was last read. */
  private head?: bigint;
  private lookedAt = Number.NEGATIVE_INFINITY;
  private writes = 0;

  constructor(private readonly o: ReadCacheOptions) {}

  /** An answer that may be used without asking the service. */
  fresh<T>(path: string): T | undefined {
    const e = this.entries.get(path);
    if (!e || this.o.quietMs <= 0 || this.head === undefined || e.reflects === undefined) return undefined;
    const now = this.o.now();
    const quiet =
      e.writes === this.writes &&
      e.reflects >= this.head &&
      now - this.lookedAt <= this.o.quietMs &&
      now - e.confirmedAt <= this.o.maxAgeMs;
    return quiet ? (e.body as T) : undefined;
  }

  /** The kept answer, to revalidate with If-None-Match. */
  kept<T>(path: string): KeptAnswer<T> | undefined {
    const e = this.entries.get(path);
    return e ? { body: e.body as T, eTag: e.eTag } : undefined;
  }

  /** Taken when a read starts: a change this client makes meanwhile makes the answer suspect. */
  begin(): number {
    return this.writes;
  }

  /** A 200 with an ETag, or a 304 for the kept answer (then `body` is the kept one). */
  confirm(path: string, started: number, body: unknown, eTag: string, lastEventId: string | null): void {
    this.entries.delete(path); // re-inserted last: the Map's order is the LRU order
    this.entries.set(path, {
      body: deepFreeze(body), // shared by every caller from now on
      eTag,
      reflects: eventNumber(lastEventId),
      confirmedAt: this.o.now(),
      writes: started,
    });
    while (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A page of the event log was read; `head` is the newest event id in the log. */
  sawLog(head: string): void {
    const n = eventNumber(head);
    if (n === undefined) return;
    if (this.head === undefined || n > this.head) this.head = n;
    this.lookedAt = this.o.now();
  }

  /** This client sent a change (counted when it is answered): what it kept may show the state before it. */
  wrote(): void {
    this.writes++;
  }
}

/** Event ids are numeric strings, ordered as numbers; anything else means "unknown". */
function eventNumber(id: string | null | undefined): bigint | undefined {
  return id && /^\d{1,30}$/.test(id) ? BigInt(id) : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
