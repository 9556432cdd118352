/**
 * The engine's sweep reads what is due, not every record: idle runtimes past their idle time and
 * locks old enough to be leftovers, found in the read model, then read again before acting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, iso } from '../../../src/clock';
import type { RuntimeRecord } from '../../../src/service/model';
import { Collection } from '../../../src/storage/collection';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { ACTORS, startTestService, type TestService } from '../../helpers/service';

let s: TestService | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const NOW = Date.parse('2026-11-23T09:00:00Z');
const MIN = 60_000;

/** 500 running automatic runtimes; runtime i idles out after 60 + i minutes. */
async function seeded(): Promise<{ storage: CountingStorage; clock: FakeClock }> {
  const inner = new MemoryStorage();
  const runtimes = new Collection<RuntimeRecord>(inner, 'runtimes');
  for (let i = 0; i < 500; i++) {
    const name = `idle-${String(i).padStart(3, '0')}`;
    await runtimes.create(name, {
      name,
      type: 'automatic',
      status: 'Running',
      owner: ACTORS.alex,
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 60 + i,
      lastUsedOn: iso(NOW),
      createdOn: iso(NOW - 60 * MIN),
      modifiedOn: iso(NOW),
      ...(i === 250
        ? {
            activeOperation: {
              id: '7e0b6c2e-0000-4000-8000-000000000250', // never written: a crash's leftover
              kind: 'install' as const,
              status: 'Running' as const,
              requestedBy: ACTORS.alex,
              createdOn: iso(NOW),
            },
          }
        : {}),
    } as RuntimeRecord);
  }
  return { storage: new CountingStorage(inner), clock: new FakeClock(NOW) };
}

const runtimeCalls = (storage: CountingStorage) =>
  storage.lines().filter((l) => /^(read|list) runtimes\//.test(l) || /^(write|delete) runtimes\//.test(l));

describe("the engine's sweep over 500 runtimes", () => {
  it('should read no runtime when nothing is due', async () => {
    const { storage, clock } = await seeded();
    s = await startTestService({ storage, clock });
    clock.advance(20_000); // nothing idle yet; the lock is 20 s old
    storage.reset();
    await s.app.engine.sweep();
    expect(runtimeCalls(storage)).toEqual([]);
    expect(storage.writes()).toBe(0);
  });

  it('should read only the runtimes that are due, and stop exactly those', async () => {
    const { storage, clock } = await seeded();
    s = await startTestService({ storage, clock });
    clock.advance(62 * MIN); // idle-000, idle-001 and idle-002 are due
    storage.reset();
    await s.app.engine.sweep();
    const read = storage.lines().filter((l) => l.startsWith('read runtimes/'));
    expect(new Set(read)).toEqual(
      new Set(['read runtimes/idle-000', 'read runtimes/idle-001', 'read runtimes/idle-002', 'read runtimes/idle-250']),
    );
    expect(read.length).toBeLessThan(30); // each due one a few times (decide, claim, step), never all 500
    const stopping = (await s.request('GET', '/v1/runtimes?status=Stopping')).json.value.map(
      (r: { name: string }) => r.name,
    );
    expect(stopping).toEqual(['idle-000', 'idle-001', 'idle-002']);
    // The leftover lock was due too (older than 30 s): released.
    expect((await s.request('GET', '/v1/runtimes/idle-250')).json.activeOperation).toBeUndefined();
  });
});

describe('an operation queued before its record is written', () => {
  it('should stay queued while its submit may still write the record, and go once it cannot', async () => {
    const clock = new FakeClock(NOW);
    s = await startTestService({ clock });
    const pending = new Collection<{ since: string }>(s.storage, 'pending-operations');
    // What a submit leaves between its first two writes (or a submit that died there).
    await pending.put('op-between-writes', { since: iso(NOW) });
    await s.app.engine.tick();
    expect(await pending.ids()).toEqual(['op-between-writes']); // not taken from a submit under way
    clock.advance(30_001);
    await s.app.engine.tick();
    expect(await pending.ids()).toEqual([]);
  });
});
