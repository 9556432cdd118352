/**
 * A lease on a piece of background work that any replica may do but only one should at a time:
 * one storage record `{ owner, until }`, taken with an eTag-guarded write when it is free or has
 * expired. It is written only when it must be: a holder with more than half of its time left
 * keeps it without touching storage, and nobody takes one while there is nothing to do, so an
 * idle system writes nothing. A holder that dies is replaced once `until` passes.
 *
 * A lease is a way to avoid wasted work, not a guarantee of exclusion (clocks drift, processes
 * pause): the work it guards must still fence its own writes with eTags.
 */
import type { Clock } from '../clock';
import { Collection } from './collection';
import { isEtagConflict, type Storage } from './storage';

interface LeaseRecord {
  owner: string;
  until: number;
}

export class Lease {
  /** Until when this process believes it holds the lease (its own clock); 0 when it does not. */
  private until = 0;
  private readonly records: Collection<LeaseRecord>;
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
    if (found && found.owner !== this.owner && found.until > now) {
      this.until = 0;
      return false;
    }
    const until = now + this.ms;
    try {
      const mine = { owner: this.owner, until };
      if (found) await this.records.replace(this.id, mine, found.eTag);
      else await this.records.create(this.id, mine);
    } catch (error) {
      if (!isEtagConflict(error)) throw error;
      this.until = 0; // another replica took it between our read and our write
      return false;
    }
    this.until = until;
    return true;
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
    await this.records.replace(this.id, { owner: this.owner, until: 0 }, found.eTag).catch((error) => {
      if (!isEtagConflict(error)) throw error;
    });
  }
}
