/**
 * Leases on background work that any replica may do but only one should at a time. A lease is a
 * `{ owner, until }` hold taken with an eTag-guarded write when it is free or has expired, so a
 * holder that dies is replaced once `until` passes. Two forms, one rule:
 * - `Lease`: a record of its own guarding a whole task (the notifier's cursor, the sequencer);
 * - `RecordLeases`: the `lease` field of the record a step works on (an operation, a queued
 *   notification, a tracked message, the registry watcher's state).
 * Nothing is written while nothing happens: callers take a lease only when there is work, and
 * `Lease` keeps one with more than half of its time left without touching storage.
 *
 * A lease is a way to avoid wasted work, not a guarantee of exclusion (clocks drift, processes
 * pause): the work it guards must still fence its own writes with eTags.
 */
import type { Clock } from '../clock';
import { Collection, type Stored, withoutEtag } from './collection';
import type { Storage } from './storage';

/** Who holds a lease, and until when (epoch ms of the holder's clock). */
export interface LeaseHold {
  owner: string;
  until: number;
}

/** Whether `hold` keeps `owner` out at `now`: it is someone else's and has not expired. */
export function heldByOther(hold: LeaseHold | undefined, owner: string, now: number): boolean {
  return hold !== undefined && hold.until > now && hold.owner !== owner;
}

/** Leases held in the `lease` field of a collection's records, all taken by one owner. */
export class RecordLeases<T extends { lease?: LeaseHold }> {
  constructor(
    private readonly records: Collection<T>,
    readonly owner: string,
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}

  /** Whether another owner holds the record's lease now. */
  blocked(record: T | undefined): boolean {
    return heldByOther(record?.lease, this.owner, this.clock.now());
  }

  /** A hold of this owner for a full term from now, to write into a record. */
  hold(): LeaseHold {
    return { owner: this.owner, until: this.clock.now() + this.ms };
  }

  /**
   * Whether the record, as read, shows this owner's lease with more than half its term left: the
   * owner may work on it without taking the lease again, fencing its write with the eTag it read.
   */
  keeps(record: T | undefined): boolean {
    const lease = record?.lease;
    return lease?.owner === this.owner && lease.until - this.clock.now() > this.ms / 2;
  }

  /** Whether nobody, this owner included, holds the record's lease now. */
  free(record: T | undefined): boolean {
    return !(record?.lease && record.lease.until > this.clock.now());
  }

  /**
   * Takes the lease on the record as it was read, writing `body` (the record read, by default)
   * with the lease in one eTag-guarded write; a record that was absent is created. Answers the
   * record as written, or undefined when another owner holds it or wrote it since it was read.
   */
  async take(id: string, read: Stored<T> | undefined, body?: T): Promise<T | undefined> {
    if (this.blocked(read)) return undefined;
    const base = body ?? (read ? withoutEtag(read) : undefined);
    if (!base) throw new Error('RecordLeases.take: nothing to write for an absent record');
    const leased: T = { ...base, lease: this.hold() };
    return (await this.records.swap(id, read, leased)) ? leased : undefined;
  }

  /**
   * Gives the lease back, writing `changes` with it, when this owner still holds it; a record that
   * is gone, held by another, or changed since it was read here is left alone.
   */
  async release(id: string, changes: Partial<T> = {}): Promise<void> {
    const current = await this.records.get(id);
    if (current?.lease?.owner !== this.owner) return;
    const { lease: _lease, ...rest } = withoutEtag(current);
    await this.records.swap(id, current, { ...rest, ...changes } as T);
  }
}

/** A lease that is a record of its own. */
export class Lease {
  /** Until when this process believes it holds the lease (its own clock); 0 when it does not. */
  private until = 0;
  private readonly records: Collection<LeaseHold>;
  private readonly id: string;

  /** `key` is a storage key, `<prefix>/<id>`. */
  constructor(
    storage: Storage,
    key: string,
    readonly owner: string,
    private readonly clock: Clock,
    private readonly ms: number,
  ) {
    const cut = key.lastIndexOf('/');
    this.records = new Collection(storage, key.slice(0, cut));
    this.id = key.slice(cut + 1);
  }

  /** True when this owner holds the lease; takes or renews it only when it has to. */
  async hold(): Promise<boolean> {
    const now = this.clock.now();
    if (this.until - now > this.ms / 2) return true;
    const found = await this.records.get(this.id);
    const until = now + this.ms;
    // A lost race (another replica took it between our read and our write) is a lease not held.
    this.until =
      !heldByOther(found, this.owner, now) && (await this.records.swap(this.id, found, { owner: this.owner, until }))
        ? until
        : 0;
    return this.until > 0;
  }

  /** Whether this process believes it holds the lease now, without asking storage. */
  held(): boolean {
    return this.until > this.clock.now();
  }

  /** Forgets a lease this process found it had lost; the next `hold` asks storage again. */
  forget(): void {
    this.until = 0;
  }

  /** Gives the lease back (on stop), so that another replica can take over at once. */
  async release(): Promise<void> {
    if (!this.held()) return;
    this.until = 0;
    const found = await this.records.get(this.id);
    if (found?.owner !== this.owner) return;
    await this.records.swap(this.id, found, { owner: this.owner, until: 0 });
  }
}
