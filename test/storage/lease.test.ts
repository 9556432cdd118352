/**
 * The lease primitive on a real MemoryStorage and a FakeClock: one holder at a time, takeover after
 * expiry, a lost race is a lease not held, and no write while a holder keeps an unexpired lease.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock';
import { Collection } from '../../src/storage/collection';
import { heldByOther, Lease, type LeaseHold, RecordLeases } from '../../src/storage/lease';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { CountingStorage } from '../helpers/countingStorage';

interface Job {
  step: number;
  lease?: LeaseHold;
}

function jobs() {
  const storage = new CountingStorage(new MemoryStorage());
  const clock = new FakeClock();
  const records = new Collection<Job>(storage, 'jobs');
  const a = new RecordLeases(records, 'a', clock, 30_000);
  const b = new RecordLeases(records, 'b', clock, 30_000);
  return { storage, clock, records, a, b };
}

describe('heldByOther', () => {
  it('should keep others out until the hold expires, never its own owner', () => {
    const hold = { owner: 'a', until: 1000 };
    expect(heldByOther(hold, 'b', 999)).toBe(true);
    expect(heldByOther(hold, 'b', 1000)).toBe(false);
    expect(heldByOther(hold, 'a', 999)).toBe(false);
    expect(heldByOther(undefined, 'b', 0)).toBe(false);
  });
});

describe('RecordLeases', () => {
  it('should let one owner take a record, keep the other out, and let it take over after expiry', async () => {
    const { clock, records, a, b } = jobs();
    await records.create('j', { step: 1 });
    expect(await a.take('j', await records.get('j'))).toMatchObject({ step: 1, lease: { owner: 'a' } });
    const held = await records.get('j');
    expect(b.blocked(held)).toBe(true);
    expect(b.free(held)).toBe(false);
    expect(await b.take('j', held)).toBeUndefined();
    clock.advance(30_000); // a died holding it
    expect(await b.take('j', await records.get('j'))).toMatchObject({ lease: { owner: 'b' } });
    expect((await records.get('j'))?.lease?.owner).toBe('b');
  });

  it('should lose a race to a writer that changed the record since it was read', async () => {
    const { records, a, b } = jobs();
    await records.create('j', { step: 1 });
    const read = await records.get('j');
    expect(await b.take('j', read)).toBeDefined();
    expect(await a.take('j', read)).toBeUndefined();
    expect((await records.get('j'))?.lease?.owner).toBe('b');
  });

  it('should create an absent record with its lease from the body given', async () => {
    const { records, a } = jobs();
    expect(await a.take('new', undefined, { step: 0 })).toMatchObject({ step: 0, lease: { owner: 'a' } });
    expect(await records.get('new')).toMatchObject({ step: 0, lease: { owner: 'a' } });
  });

  it('should give a lease back with its changes only while it is still its own', async () => {
    const { clock, records, a, b } = jobs();
    await records.create('j', { step: 1 });
    await a.take('j', await records.get('j'));
    await a.release('j', { step: 2 });
    const released = await records.get('j');
    expect(released?.step).toBe(2);
    expect(released?.lease).toBeUndefined();
    await a.take('j', released);
    clock.advance(30_000);
    await b.take('j', await records.get('j'));
    await a.release('j', { step: 99 }); // a lost it: nothing of a's is written
    expect(await records.get('j')).toMatchObject({ step: 2, lease: { owner: 'b' } });
  });
});

describe('Lease', () => {
  it('should not rewrite its record while held with more than half its time left', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const clock = new FakeClock();
    const lease = new Lease(storage, 'meta/lease', 'a', clock, 30_000);
    expect(await lease.hold()).toBe(true);
    expect(storage.count('write', 'meta/lease')).toBe(1);
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      expect(await lease.hold()).toBe(true);
    }
    expect(storage.count('write', 'meta/lease')).toBe(1);
    clock.advance(5000); // 16 s in: less than half is left, so it is renewed
    expect(await lease.hold()).toBe(true);
    expect(storage.count('write', 'meta/lease')).toBe(2);
  });

  it('should keep a second owner out until the first lease expires, then hand it over', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = new Lease(storage, 'meta/lease', 'a', clock, 30_000);
    const b = new Lease(storage, 'meta/lease', 'b', clock, 30_000);
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(false);
    clock.advance(30_000);
    expect(await b.hold()).toBe(true);
    expect(a.held()).toBe(false);
    a.forget();
    expect(await a.hold()).toBe(false);
  });

  it('should let another owner take over at once after a release', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = new Lease(storage, 'meta/lease', 'a', clock, 30_000);
    const b = new Lease(storage, 'meta/lease', 'b', clock, 30_000);
    await a.hold();
    await a.release();
    expect(a.held()).toBe(false);
    expect(await b.hold()).toBe(true);
  });
});
