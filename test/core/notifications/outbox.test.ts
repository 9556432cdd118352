/**
 * Outbox: notifications stored once, one queue item per conversation, idempotent enqueueing (by
 * id, by queued item and by sent mark), pruning, and a queue that survives a restart on disk.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { Outbox } from '../../../src/core/notifications/outbox';
import { OutboxWorker } from '../../../src/core/notifications/outboxWorker';
import { RateLimiter } from '../../../src/core/notifications/rateLimiter';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import type { Storage } from '../../../src/storage/storage';
import { memoryLogger, ScriptedSender, textReply } from './fakes';

const DAY = 86_400_000;
const tmpDirs: string[] = [];

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

async function tmpDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'outbox-test-'));
  tmpDirs.push(dir);
  return dir;
}

function workerFor(storage: Storage, clock: FakeClock, sender: ScriptedSender, outbox = new Outbox(storage, clock)) {
  return new OutboxWorker({
    outbox,
    limiter: new RateLimiter(storage, clock),
    sender,
    clock,
    log: memoryLogger().log,
    globalPerSecond: 100,
    onGone: async () => undefined,
  });
}

let storage: MemoryStorage;
let clock: FakeClock;
let outbox: Outbox;

beforeEach(() => {
  storage = new MemoryStorage();
  clock = new FakeClock();
  outbox = new Outbox(storage, clock);
});

describe('Outbox.enqueue', () => {
  it('should store the notification once and queue one item per conversation', async () => {
    expect(await outbox.enqueue('version-20260101.v1', 'versions', textReply('new'), ['c1', 'c2', 'c1'])).toBe(2);
    expect(await outbox.items.ids()).toEqual(['version-20260101.v1~c1', 'version-20260101.v1~c2']);
    const n = await outbox.notifications.get('version-20260101.v1');
    expect(n).toMatchObject({
      id: 'version-20260101.v1',
      topic: 'versions',
      reply: textReply('new'),
      createdAt: clock.now(),
      enqueuedAt: clock.now(),
      recipients: 2,
    });
    expect(await outbox.items.get('version-20260101.v1~c1')).toMatchObject({
      notificationId: 'version-20260101.v1',
      conversationKey: 'c1',
      attempts: 0,
      notBefore: clock.now(),
      createdAt: clock.now(),
    });
    expect(await outbox.pending()).toBe(2);
    expect(await outbox.exists('version-20260101.v1')).toBe(true);
    expect(await outbox.exists('version-other')).toBe(false);
  });

  it('should queue nothing when the same id is enqueued again', async () => {
    expect(await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2'])).toBe(2);
    expect(await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2'])).toBe(0);
    expect(await outbox.items.ids()).toEqual(['n1~c1', 'n1~c2']);
  });

  it('should short-circuit on enqueuedAt: a later call queues no new conversation and keeps the first reply', async () => {
    await outbox.enqueue('n1', 'failures', textReply('first'), ['c1']);
    clock.advance(5000);
    expect(await outbox.enqueue('n1', 'idle', textReply('second'), ['c1', 'c2', 'c3'])).toBe(0);
    expect(await outbox.items.ids()).toEqual(['n1~c1']);
    expect(await outbox.notifications.get('n1')).toMatchObject({
      topic: 'failures',
      reply: textReply('first'),
      enqueuedAt: clock.now() - 5000,
      recipients: 1,
    });
  });

  it('should queue nothing again once the item was sent and deleted', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1']);
    const sender = new ScriptedSender(clock);
    expect(await workerFor(storage, clock, sender, outbox).tick()).toMatchObject({ sent: 1 });
    expect(await outbox.pending()).toBe(0);
    expect(await outbox.sent.get('n1~c1')).toBeDefined();
    expect(await outbox.enqueue('n1', 'failures', textReply('a'), ['c1'])).toBe(0);
    expect(await outbox.pending()).toBe(0);
    expect(await workerFor(storage, clock, sender, outbox).tick()).toMatchObject({ sent: 0 });
    expect(sender.calls).toHaveLength(1);
  });

  it('should skip sent and queued conversations when a producer crashed before enqueuedAt was set', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2']);
    // c1 was sent (mark written, item deleted); c2 is still queued.
    await outbox.sent.create('n1~c1', { at: clock.now(), attempts: 1, messageId: 'm1' });
    await outbox.items.delete('n1~c1');
    // The crash: the notification record never got its enqueuedAt.
    const n = (await outbox.notifications.get('n1'))!;
    await outbox.notifications.put('n1', {
      id: n.id,
      topic: n.topic,
      reply: n.reply,
      createdAt: n.createdAt,
    });
    const queuedBefore = await outbox.items.get('n1~c2');
    expect(await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2', 'c3'])).toBe(1);
    expect(await outbox.items.ids()).toEqual(['n1~c2', 'n1~c3']);
    // The queued item was not rewritten.
    expect((await outbox.items.get('n1~c2'))!.eTag).toBe(queuedBefore!.eTag);
    expect((await outbox.notifications.get('n1'))!.enqueuedAt).toBe(clock.now());
  });

  it('should store a notification with no recipients and finish it', async () => {
    expect(await outbox.enqueue('digest-2026-01-01', 'digest', textReply('d'), [])).toBe(0);
    expect(await outbox.notifications.get('digest-2026-01-01')).toMatchObject({ recipients: 0 });
    expect(await outbox.exists('digest-2026-01-01')).toBe(true);
  });

  it('should enqueue the same notification once when two producers race', async () => {
    const other = new Outbox(storage, clock);
    const keys = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const [a, b] = await Promise.all([
      outbox.enqueue('n1', 'versions', textReply('x'), keys),
      other.enqueue('n1', 'versions', textReply('x'), keys),
    ]);
    expect(a + b).toBe(10);
    expect(await outbox.items.ids()).toHaveLength(10);
  });

  // Two replicas produce the same notification (scan() is not leased: every replica builds the
  // digest at 08:00). B reads "not sent" for c1, then A queues c1 and a worker sends it (sent mark,
  // item deleted), all before B's create-only write of the item — which then succeeds.
  it("should not post twice when a send completes between a racing producer's sent check and its queueing", async () => {
    const sender = new ScriptedSender(clock);
    const worker = workerFor(storage, clock, sender, outbox);
    let interleaved = false;
    const hooked: Storage = {
      read: async (keys) => {
        const found = await storage.read(keys);
        if (!interleaved && keys.includes('outbox-sent/n1~c1')) {
          interleaved = true;
          expect(await outbox.enqueue('n1', 'digest', textReply('d'), ['c1'])).toBe(1);
          expect(await worker.tick()).toMatchObject({ sent: 1 });
        }
        return found;
      },
      write: (changes) => storage.write(changes),
      delete: (keys) => storage.delete(keys),
      list: (prefix) => storage.list(prefix),
      health: () => storage.health(),
    };
    await new Outbox(hooked, clock).enqueue('n1', 'digest', textReply('d'), ['c1']);
    expect(interleaved).toBe(true);
    await worker.tick();
    clock.advance(60_000);
    await worker.tick();
    expect(sender.calls).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['a slash', 'a/b'],
    ['the item separator', 'a~b'],
    ['a space', 'a b'],
    ['a colon', 'version:1'],
    ['non-ASCII', 'versión-1'],
    ['121 characters', 'x'.repeat(121)],
    ['a newline', 'a\nb'],
  ])('should reject an id with %s and store nothing', async (_label, id) => {
    await expect(outbox.enqueue(id, 'versions', textReply('x'), ['c1'])).rejects.toThrow(/invalid notification id/);
    expect(await outbox.notifications.ids()).toEqual([]);
    expect(await outbox.items.ids()).toEqual([]);
  });

  it('should accept ids of letters, digits, dot, dash and underscore up to 120 characters', async () => {
    expect(await outbox.enqueue('idle-warning-chat_dev-1767225600000', 'idle', textReply('x'), ['c1'])).toBe(1);
    expect(await outbox.enqueue('x'.repeat(120), 'idle', textReply('x'), ['c1'])).toBe(1);
  });
});

describe('Outbox.prune', () => {
  async function sendAll(): Promise<void> {
    await workerFor(storage, clock, new ScriptedSender(clock), outbox).tick();
  }

  it('should remove old notifications and their sent marks once no item is pending', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2']);
    await outbox.enqueue('n10', 'failures', textReply('b'), ['c1']);
    await sendAll();
    expect(await outbox.sent.ids()).toEqual(['n10~c1', 'n1~c1', 'n1~c2']);
    clock.advance(3 * DAY + 1);
    await outbox.enqueue('n2', 'failures', textReply('recent'), ['c1']);
    await sendAll();
    expect(await outbox.prune()).toBe(2);
    expect(await outbox.notifications.ids()).toEqual(['n2']);
    expect(await outbox.sent.ids()).toEqual(['n2~c1']);
  });

  it('should keep an old notification while one of its items is pending', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1', 'c2']);
    const sender = new ScriptedSender(clock).script('c2', { ok: false, status: 503 });
    await workerFor(storage, clock, sender, outbox).tick();
    expect(await outbox.items.ids()).toEqual(['n1~c2']);
    clock.advance(4 * DAY);
    expect(await outbox.prune()).toBe(0);
    expect(await outbox.notifications.ids()).toEqual(['n1']);
    expect(await outbox.sent.ids()).toEqual(['n1~c1']);
  });

  it('should keep notifications younger than the maximum age', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1']);
    await sendAll();
    clock.advance(3 * DAY - 1);
    expect(await outbox.prune()).toBe(0);
    expect(await outbox.prune(DAY)).toBe(1);
    expect(await outbox.notifications.ids()).toEqual([]);
    expect(await outbox.sent.ids()).toEqual([]);
  });

  it('should prune a notification whose only item went to the dead letters', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1']);
    await workerFor(storage, clock, new ScriptedSender(clock).script('c1', { ok: false, status: 400 }), outbox).tick();
    expect(await outbox.deadLetters.ids()).toEqual(['n1~c1']);
    clock.advance(3 * DAY + 1);
    expect(await outbox.prune()).toBe(1);
    expect(await outbox.deadLetters.ids()).toEqual(['n1~c1']);
  });

  it('should expire dead letters a week after they failed, and keep younger ones', async () => {
    await outbox.enqueue('n1', 'failures', textReply('a'), ['c1']);
    await workerFor(storage, clock, new ScriptedSender(clock).script('c1', { ok: false, status: 400 }), outbox).tick();
    expect((await outbox.deadLetters.get('n1~c1'))?.failedAt).toBe(clock.now());
    clock.advance(6 * DAY);
    await outbox.enqueue('n2', 'failures', textReply('b'), ['c2']);
    await workerFor(storage, clock, new ScriptedSender(clock).script('c2', { ok: false, status: 400 }), outbox).tick();
    clock.advance(DAY + 1);
    await outbox.prune();
    expect(await outbox.deadLetters.ids()).toEqual(['n2~c2']);
  });
});

describe('Outbox across a restart (FileStorage)', () => {
  it('should keep queued items on disk and send them from a new process', async () => {
    const dir = await tmpDir();
    const fileClock = new FakeClock();
    const before = new Outbox(new FileStorage(dir), fileClock);
    expect(await before.enqueue('version-20260101.v1', 'versions', textReply('v'), ['c1', 'c2', 'c3'])).toBe(3);
    // c3 refuses once: it is queued with a backoff when the process "dies".
    const firstSender = new ScriptedSender(fileClock).script('c1', { ok: false, status: 503 });
    firstSender.script('c2', { ok: false, status: 429, retryAfterMs: 10_000 });
    firstSender.script('c3', { ok: true, messageId: 'm-c3' });
    const firstStorage = new FileStorage(dir);
    expect(await workerFor(firstStorage, fileClock, firstSender, new Outbox(firstStorage, fileClock)).tick()).toEqual({
      sent: 1,
      retried: 2,
      dropped: 0,
      failed: 0,
    });

    // A new process: new storage object, outbox and worker on the same folder.
    const restarted = new FileStorage(dir);
    const after = new Outbox(restarted, fileClock);
    expect(await after.items.ids()).toEqual(['version-20260101.v1~c1', 'version-20260101.v1~c2']);
    expect(await after.sent.get('version-20260101.v1~c3')).toMatchObject({ messageId: 'm-c3', attempts: 1 });
    expect(await after.enqueue('version-20260101.v1', 'versions', textReply('v'), ['c1', 'c2', 'c3'])).toBe(0);
    fileClock.advance(10_000);
    const secondSender = new ScriptedSender(fileClock);
    expect(await workerFor(restarted, fileClock, secondSender, after).tick()).toMatchObject({ sent: 2 });
    expect(secondSender.calls.map((c) => c.conversationKey).sort()).toEqual(['c1', 'c2']);
    expect(secondSender.calls[0].reply).toEqual(textReply('v'));
    expect(await after.pending()).toBe(0);
    expect((await after.sent.get('version-20260101.v1~c2'))!.attempts).toBe(2);
    expect(await workerFor(restarted, fileClock, secondSender, after).tick()).toMatchObject({ sent: 0 });
    expect(secondSender.calls).toHaveLength(2);
  });
});
