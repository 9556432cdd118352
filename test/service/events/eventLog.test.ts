/**
 * The event log on its own, with several instances ("replicas") on one storage: appends never
 * contend, readers see every event once in one order, pages cost one read each, a sequencer that
 * dies mid-round is replaced without loss or duplicates, a stale one is fenced off, nothing is
 * written while nothing happens, old pages expire, and a log written by the counter design goes on
 * after its ids.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import type { ServiceEvent } from '../../../src/domain/runtime';
import { EventLog, type EventLogOptions } from '../../../src/service/events/eventLog';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { isEtagConflict, type Storage } from '../../../src/storage/storage';
import { CountingStorage } from '../../helpers/countingStorage';

const logs: EventLog[] = [];
const tmpDirs: string[] = [];

afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.stop()));
  await Promise.all(tmpDirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

function replica(storage: Storage, clock: FakeClock, options: EventLogOptions = {}): EventLog {
  const log = new EventLog(storage, clock, { busyPollMs: 5, idlePollMs: 5, ...options });
  logs.push(log);
  return log;
}

/** Every event in the log, read as a reader would: pages of `limit` from the start. */
async function readAll(log: EventLog, limit = 7): Promise<ServiceEvent[]> {
  const out: ServiceEvent[] = [];
  for (;;) {
    const page = await log.after(out.at(-1)?.id ?? '0', limit);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

const tagsOf = (events: ServiceEvent[]) => events.map((e) => String(e.data.tag));

function expectContiguous(events: ServiceEvent[], first = 1): void {
  expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => first + i));
  for (const e of events) expect(e.id).toMatch(/^\d{12}$/);
}

/** Waits (real time) until `check` holds; the sequencers run on their own timers meanwhile. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EventLog: appends and reads', () => {
  it('should number appended events 1, 2, 3… in append order, with 12-digit ids', async () => {
    const log = replica(new MemoryStorage(), new FakeClock(), { pageSize: 4 });
    for (let i = 0; i < 10; i++) await log.append('image.released', { tag: `t${i}` });
    await log.settled();
    const all = await readAll(log);
    expectContiguous(all);
    expect(tagsOf(all)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    expect(all[0]).toMatchObject({ type: 'image.released', time: '2026-01-01T00:00:00.000Z' });
    expect(await log.lastId()).toBe('000000000010');
  });

  it('should number events appended together with one write, in their order, across pages', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const log = replica(storage, new FakeClock(), { pageSize: 4 });
    await log.append('image.released', { tag: 'a' });
    await log.appendAll(['b', 'c', 'd', 'e'].map((tag) => ({ type: 'image.released', data: { tag } })));
    await log.settled();
    const all = await readAll(log);
    expectContiguous(all);
    expect(tagsOf(all)).toEqual(['a', 'b', 'c', 'd', 'e']); // the batch straddles pages 0 and 1
    expect(storage.count('write', 'event-inbox/')).toBe(2);
    await expect(
      log.appendAll(['1', '2', '3', '4', '5'].map((tag) => ({ type: 'image.released', data: { tag } }))),
    ).rejects.toThrow(/at most 4 events/);
  });

  it('should number at most a page of events in a round, leaving the rest for the next one', async () => {
    const inner = new MemoryStorage();
    const clock = new FakeClock();
    const writer = replica(inner, clock, { pageSize: 4 });
    await writer.stop(); // its appends wait in the inbox, for another replica to number
    const batch = (tags: string[]) => writer.appendAll(tags.map((tag) => ({ type: 'image.released', data: { tag } })));
    await batch(['a', 'b', 'c']);
    await batch(['d', 'e']);
    await batch(['f']);
    const othersItems = await inner.list('event-inbox/');
    const storage = new CountingStorage(inner);
    const numberer = replica(storage, clock, { pageSize: 4 });
    clock.advance(1); // after the other writer's appends
    await numberer.append('image.released', { tag: 'g' });
    await numberer.settled();
    const all = await readAll(numberer);
    expectContiguous(all);
    expect(tagsOf(all)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    // Two rounds: a, b, c (d and e would overfill the page), then d, e, f, g, which fill page 0 and
    // start page 1. The other writer's items are read from the inbox; this process's own (g) is not.
    expect(storage.count('write', 'event-pages/')).toBe(3);
    const readBack = storage.calls.filter((c) => c.method === 'read' && c.keys[0].startsWith('event-inbox/'));
    const read = readBack.flatMap((c) => c.keys);
    expect(read).toHaveLength(3 + 2); // round 1 read all three items, round 2 the two left
    expect(read.every((key) => othersItems.includes(key))).toBe(true);
    expect(await inner.list('event-inbox/')).toEqual([]);
  });

  it('should resume from any id, in the middle of a page too, and say where the head is', async () => {
    const log = replica(new MemoryStorage(), new FakeClock(), { pageSize: 4 });
    for (let i = 1; i <= 10; i++) await log.append('image.released', { tag: `t${i}` });
    await log.settled();
    expect(tagsOf(await log.after('5', 3))).toEqual(['t6', 't7', 't8']);
    expect(tagsOf(await log.after('000000000008'))).toEqual(['t9', 't10']);
    expect(await log.after('10')).toEqual([]);
    expect(await log.after('999999999999')).toEqual([]);
    expect(await log.page('2', 3)).toMatchObject({ head: '000000000010' });
    expect((await log.page('2', 3)).events.map((e) => e.id)).toEqual(['000000000003', '000000000004', '000000000005']);
    expect(await log.page('10', 5)).toEqual({ events: [], head: '000000000010' });
  });

  it('should start empty: no events, head 0', async () => {
    const log = replica(new MemoryStorage(), new FakeClock());
    expect(await log.after(undefined)).toEqual([]);
    expect(await log.lastId()).toBe('000000000000');
    expect(await log.page('0', 10)).toEqual({ events: [], head: '000000000000' });
  });

  it('should read an idle head with one storage read, whatever the number of events', async () => {
    const counting = new CountingStorage(new MemoryStorage());
    const log = replica(counting, new FakeClock(), { pageSize: 100 });
    for (let i = 0; i < 250; i++) await log.append('image.released', { tag: `t${i}` });
    await log.settled();
    counting.reset();
    expect(await log.after('250')).toEqual([]);
    expect(counting.calls).toEqual([{ method: 'read', keys: ['event-pages/0000000002'] }]);
    counting.reset();
    expect(await log.after('120', 500)).toHaveLength(130);
    expect(counting.count('read')).toBe(2); // pages 1 and 2
    expect(counting.count('list')).toBe(0);
  });

  it('should let onLocal listeners hear of the events this process numbers, with their ids', async () => {
    const log = replica(new MemoryStorage(), new FakeClock());
    const heard: ServiceEvent[] = [];
    const off = log.onLocal((e) => heard.push(e));
    await log.append('image.released', { tag: 'a' });
    await log.append('image.released', { tag: 'b' });
    await log.settled();
    off();
    await log.append('image.released', { tag: 'c' });
    await log.settled();
    expect(heard.map((e) => [e.id, e.data.tag])).toEqual([
      ['000000000001', 'a'],
      ['000000000002', 'b'],
    ]);
  });
});

describe('EventLog: no hot record', () => {
  it('should take 2 × 150 concurrent appends from two replicas without a single conflict', async () => {
    const inner = new MemoryStorage();
    const conflicts: string[] = [];
    const watching = new CountingStorage(inner);
    const counted: Storage = {
      read: (k) => watching.read(k),
      list: (p) => watching.list(p),
      delete: (k) => watching.delete(k),
      health: () => watching.health(),
      write: (changes) =>
        watching.write(changes).catch((error) => {
          if (isEtagConflict(error)) conflicts.push(error.key);
          throw error;
        }),
    };
    const clock = new FakeClock();
    const a = replica(counted, clock, { pageSize: 10 });
    const b = replica(counted, clock, { pageSize: 10 });
    await Promise.all([
      ...Array.from({ length: 150 }, (_, i) => a.append('image.released', { tag: `a${i}` })),
      ...Array.from({ length: 150 }, (_, i) => b.append('image.released', { tag: `b${i}` })),
    ]);
    await Promise.all([a.settled(), b.settled()]);
    // Appends are create-only writes under keys only their writer makes: they never conflict.
    expect(conflicts.filter((k) => k.startsWith('event-inbox/'))).toEqual([]);
    for (const reader of [a, b]) {
      const all = await readAll(reader);
      expectContiguous(all);
      expect(new Set(tagsOf(all)).size).toBe(300);
      // One replica's appends keep their order.
      for (const who of ['a', 'b']) {
        const mine = tagsOf(all).filter((t) => t.startsWith(who));
        expect(mine).toEqual(Array.from({ length: 150 }, (_, i) => `${who}${i}`));
      }
    }
    expect(await a.lastId()).toBe('000000000300');
  });

  it('should write nothing while nothing happens', async () => {
    const counting = new CountingStorage(new MemoryStorage());
    const clock = new FakeClock();
    const log = replica(counting, clock);
    await log.append('image.released', { tag: 'a' });
    await log.settled();
    log.start();
    clock.advance(60_000); // the sequencer's lease runs out: from now on the log is idle
    counting.reset();
    await until(async () => counting.count('list') >= 20, 'twenty looks at the inbox');
    expect(counting.writes()).toBe(0);
    expect(counting.calls.every((c) => c.method === 'list' && c.keys[0] === 'event-inbox/')).toBe(true);
  });
});

describe('EventLog: sequencer takeover', () => {
  it('should be replaced when it dies mid-round, without losing or repeating an event', async () => {
    const inner = new MemoryStorage();
    const clock = new FakeClock();
    const dying = new CountingStorage(inner);
    // A round numbers at most a page (5): A's first round goes through; its second writes its
    // page, then A dies before it deletes the inbox items it numbered.
    let inboxDeletes = 0;
    dying.before = (call) => {
      if (call.method === 'delete' && call.keys[0].startsWith('event-inbox/') && ++inboxDeletes === 2) {
        dying.failWith = new Error('the process was killed');
        throw dying.failWith;
      }
    };
    const a = replica(dying, clock, { pageSize: 5, leaseMs: 10_000 });
    const b = replica(inner, clock, { pageSize: 5, leaseMs: 10_000 });
    await a.stop(); // so that the 8 appends wait in the inbox together, for one round
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.append('image.released', { tag: `a${i}` })));
    a.start();
    await until(async () => dying.failWith !== undefined, 'A to die');
    expect(tagsOf(await readAll(b))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(await inner.list('event-inbox/')).toHaveLength(3); // numbered, but still in the inbox

    // B cannot take over while A's lease lasts; then it does.
    await b.append('image.released', { tag: 'b0' });
    await expect(b.settled(100)).rejects.toThrow(/not in the log yet/);
    clock.advance(10_001);
    await b.settled();
    const all = await readAll(b);
    expectContiguous(all);
    expect(tagsOf(all)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'b0']);
    expect(await inner.list('event-inbox/')).toEqual([]);
  });

  it('should fence off a holder whose lease ran out while it was paused', async () => {
    const inner = new MemoryStorage();
    const clock = new FakeClock();
    const paused = new CountingStorage(inner);
    let release: () => void = () => {};
    let pausedAtWrite: () => void = () => {};
    const reachedWrite = new Promise<void>((resolve) => (pausedAtWrite = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = replica(
      {
        ...bind(paused),
        write: async (changes) => {
          if (Object.keys(changes)[0].startsWith('event-pages/')) {
            pausedAtWrite();
            await gate; // a long GC pause, just before the page write
          }
          return paused.write(changes);
        },
      },
      clock,
      { pageSize: 5, leaseMs: 10_000 },
    );
    const b = replica(inner, clock, { pageSize: 5, leaseMs: 10_000 });
    await a.append('image.released', { tag: 'a0' });
    await reachedWrite;
    clock.advance(10_001); // A's lease is over; B takes over and numbers everything
    await b.append('image.released', { tag: 'b0' });
    await b.settled();
    expect(tagsOf(await readAll(b))).toEqual(['a0', 'b0']);
    release(); // A wakes up and writes the page it prepared: the page changed, so it is refused
    await a.settled();
    const all = await readAll(b);
    expectContiguous(all);
    expect(tagsOf(all)).toEqual(['a0', 'b0']);
  });
});

describe('EventLog: retention', () => {
  it('should keep at most retainPages pages, and resume a reader behind them at the oldest kept event', async () => {
    const storage = new MemoryStorage();
    const log = replica(storage, new FakeClock(), { pageSize: 5, retainPages: 3 });
    for (let i = 1; i <= 30; i++) {
      await log.append('image.released', { tag: `t${i}` });
      await log.settled();
    }
    const pages = await storage.list('event-pages/');
    expect(pages.length).toBeLessThanOrEqual(4); // three kept, and the head page that started a round
    const kept = await log.after('0');
    expect(kept.at(-1)!.id).toBe('000000000030');
    expect(Number(kept[0].id)).toBeGreaterThan(1);
    expect(Number(kept[0].id) % 5).toBe(1); // from the start of the oldest kept page
    expect(await log.after('3')).toEqual(kept); // a pruned cursor resumes at the oldest kept event
  });

  it('should drop pages older than retainMs once a new page starts', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const log = replica(storage, clock, { pageSize: 5, retainMs: 24 * 3_600_000 });
    for (let i = 1; i <= 12; i++) await log.append('image.released', { tag: `old${i}` });
    await log.settled();
    clock.advance(2 * 24 * 3_600_000);
    for (let i = 1; i <= 6; i++) await log.append('image.released', { tag: `new${i}` });
    await log.settled();
    const kept = tagsOf(await readAll(log));
    // Pages 0 and 1 (old1-old10) are older than a day; the page before the head is always kept.
    expect(kept).toEqual(['old11', 'old12', 'new1', 'new2', 'new3', 'new4', 'new5', 'new6']);
    expect(await storage.list('event-pages/')).toEqual(['event-pages/0000000002', 'event-pages/0000000003']);
  });
});

describe('EventLog: the log before pages', () => {
  it('should go on after the ids the old counter handed out, and delete the old events', async () => {
    const storage = new MemoryStorage();
    await storage.write({ 'events-meta/counter': { next: 1235, floor: 1 } });
    await storage.write({ 'events/000000001234': { type: 'image.released', time: 'x', data: {} } });
    const log = replica(storage, new FakeClock());
    expect(Number(await log.lastId())).toBeGreaterThanOrEqual(1234); // a stream "from now" misses nothing new
    await log.append('image.released', { tag: 'first-of-the-new-log' });
    await log.settled();
    const [first] = await log.after('1234');
    expect(first.data.tag).toBe('first-of-the-new-log');
    expect(Number(first.id)).toBeGreaterThan(1234);
    await until(async () => (await storage.list('events/')).length === 0, 'the old events to be deleted');
  });
});

describe('EventLog: on file storage', () => {
  it('should give two replicas on one data folder one order', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'event-log-'));
    tmpDirs.push(dir);
    const clock = new FakeClock();
    const a = replica(new FileStorage(dir), clock, { pageSize: 10 });
    const b = replica(new FileStorage(dir), clock, { pageSize: 10 });
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => a.append('image.released', { tag: `a${i}` })),
      ...Array.from({ length: 25 }, (_, i) => b.append('image.released', { tag: `b${i}` })),
    ]);
    await Promise.all([a.settled(), b.settled()]);
    const fromA = await readAll(a);
    expectContiguous(fromA);
    expect(fromA).toEqual(await readAll(b));
    expect(new Set(tagsOf(fromA)).size).toBe(50);
  });
});

function bind(storage: Storage): Storage {
  return {
    read: (k) => storage.read(k),
    write: (c) => storage.write(c),
    delete: (k) => storage.delete(k),
    list: (p) => storage.list(p),
    health: () => storage.health(),
  };
}
