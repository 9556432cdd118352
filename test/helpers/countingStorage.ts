/**
 * A Storage that counts the calls made through it, and the keys they touch, before passing them
 * on. Tests and the bench wrap the real backend with it to see what a turn or a sweep costs.
 */
import type { Storage, StoreItems } from '../../src/storage/storage';

export interface StorageCounts {
  reads: number;
  /** Keys read, over all reads. */
  keysRead: number;
  writes: number;
  deletes: number;
  lists: number;
}

export class CountingStorage implements Storage {
  counts: StorageCounts = zero();
  /** Every key read, written or deleted, and every prefix listed, in order (`read runtimes/x`). */
  log: string[] = [];

  constructor(
    private readonly inner: Storage,
    /** Off for long runs (the bench): the counts alone do not grow. */
    private readonly keepLog = true,
  ) {}

  /** Total calls of every kind. */
  get calls(): number {
    const c = this.counts;
    return c.reads + c.writes + c.deletes + c.lists;
  }

  reset(): void {
    this.counts = zero();
    this.log = [];
  }

  read(keys: string[]): Promise<StoreItems> {
    this.counts.reads++;
    this.counts.keysRead += keys.length;
    if (this.keepLog) for (const k of keys) this.log.push(`read ${k}`);
    return this.inner.read(keys);
  }

  write(changes: StoreItems): Promise<void> {
    this.counts.writes++;
    if (this.keepLog) for (const k of Object.keys(changes)) this.log.push(`write ${k}`);
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    this.counts.deletes++;
    if (this.keepLog) for (const k of keys) this.log.push(`delete ${k}`);
    return this.inner.delete(keys);
  }

  list(prefix: string): Promise<string[]> {
    this.counts.lists++;
    if (this.keepLog) this.log.push(`list ${prefix}`);
    return this.inner.list(prefix);
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    return this.inner.health();
  }
}

function zero(): StorageCounts {
  return { reads: 0, keysRead: 0, writes: 0, deletes: 0, lists: 0 };
}
