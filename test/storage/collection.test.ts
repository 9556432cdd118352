/**
 * Collection's read-modify-write under contention it cannot win: it backs off, then gives up with
 * a typed ContentionError (an AppError the service answers with 503 and Retry-After), never a
 * plain Error, and never with the storage key in the text a client would read.
 */
import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../src/errors';
import { Collection, ContentionError, UNCHANGED } from '../../src/storage/collection';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { EtagConflictError, IF_NONE_MATCH, type Storage, type StoreItems } from '../../src/storage/storage';
import { CountingStorage } from '../helpers/countingStorage';

/** A storage where every conditional write to an existing record loses to another writer. */
class AlwaysLosing extends MemoryStorage {
  writes = 0;
  override async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      if (item.eTag && item.eTag !== IF_NONE_MATCH && item.eTag !== '*') {
        this.writes++;
        throw new EtagConflictError(key);
      }
    }
    return super.write(changes);
  }
}

async function seeded(): Promise<{ storage: AlwaysLosing; items: Collection<{ n: number }> }> {
  const storage = new AlwaysLosing();
  const items = new Collection<{ n: number }>(storage as Storage, 'counters');
  await items.create('hot', { n: 0 });
  return { storage, items };
}

describe('Collection under contention', () => {
  it('should give up an update with a ContentionError: 503-worthy, with a retry hint, without the key in its text', async () => {
    const { storage, items } = await seeded();
    const error = await items.update('hot', (c) => ({ n: (c?.n ?? 0) + 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentionError);
    expect(error).toBeInstanceOf(AppError);
    const contention = error as ContentionError;
    expect(contention.code).toBe(ErrorCode.Overloaded);
    expect(contention.retryAfterMs).toBe(1000);
    expect(contention.key).toBe('counters/hot');
    expect(contention.message).not.toContain('counters');
    expect(storage.writes).toBe(12); // it tried, backing off, before giving up
    expect((await items.get('hot'))?.n).toBe(0);
  });

  it('should give up a transition the same way, unless the caller names its own error', async () => {
    const { items } = await seeded();
    await expect(items.transition('hot', async (c) => ({ n: c.n + 1 }))).rejects.toBeInstanceOf(ContentionError);
    const own = new AppError(ErrorCode.Conflict, 'Too many people at once.');
    await expect(
      items.transition(
        'hot',
        async (c) => ({ n: c.n + 1 }),
        () => own,
      ),
    ).rejects.toBe(own);
  });

  it('should still succeed when it wins within its attempts', async () => {
    const storage = new MemoryStorage();
    const items = new Collection<{ n: number }>(storage, 'counters');
    await Promise.all(Array.from({ length: 8 }, () => items.update('shared', (c) => ({ n: (c?.n ?? 0) + 1 }))));
    expect((await items.get('shared'))?.n).toBe(8);
  });
});

describe('Collection.update from a record already read', () => {
  it('should write on a current one without reading, and read again when it is stale or declined', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const items = new Collection<{ n: number; done?: boolean }>(storage, 'counters');
    await items.create('c', { n: 1 });
    const read = (await items.get('c'))!;
    storage.reset();
    expect(await items.update('c', (c) => c && { n: c.n + 1 }, undefined, read)).toEqual({ n: 2 });
    expect(storage.lines()).toEqual(['write counters/c']);

    // `read` is stale now: its write is refused, and the update starts over from the stored record.
    storage.reset();
    expect(await items.update('c', (c) => c && { n: c.n + 10 }, undefined, read)).toEqual({ n: 12 });
    expect(storage.lines()).toEqual(['write counters/c', 'read counters/c', 'write counters/c']);

    // A mutator that declines what it was given is asked again about the stored record.
    const stale = { ...read, done: true };
    storage.reset();
    const next = await items.update('c', (c) => (c && !c.done ? { n: c.n + 1 } : UNCHANGED), undefined, stale);
    expect(next).toEqual({ n: 13 });
    expect(storage.lines()).toEqual(['read counters/c', 'write counters/c']);
  });
});
