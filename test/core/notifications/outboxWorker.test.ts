/**
 * OutboxWorker with a sender scripted per conversation: the sent mark, retries after Retry-After or
 * a backoff, dead letters, dropped conversations, Teams' per-conversation windows, the global cap
 * (with a FakeClock whose sleep just moves time), and two workers draining one queue.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { Outbox } from '../../../src/core/notifications/outbox';
import {
  backoffMs,
  OutboxWorker,
  type OutboxWorkerOptions,
  type SendOutcome,
} from '../../../src/core/notifications/outboxWorker';
import { TEAMS_CONVERSATION_WINDOWS } from '../../../src/channels/teams/limits';
import { RateLimiter } from '../../../src/core/notifications/rateLimiter';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import type { Storage } from '../../../src/storage/storage';
import { memoryLogger, ScriptedSender, type SentCall, textReply } from './fakes';
import { plainText, type Text } from '../../../src/core/text';

const MIN = 60_000;
const tmpDirs: string[] = [];

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

type Gone = Extract<SendOutcome, { kind: 'gone' }>;

interface Setup {
  storage: Storage;
  clock: FakeClock;
  outbox: Outbox;
  sender: ScriptedSender;
  worker: OutboxWorker;
  gone: { key: string; outcome: Gone }[];
  lines: string[];
}

function setup(options: Partial<OutboxWorkerOptions> & { storage?: Storage; clock?: FakeClock } = {}): Setup {
  const storage = options.storage ?? new MemoryStorage();
  const clock = options.clock ?? new FakeClock();
  const outbox = new Outbox(storage, clock);
  const sender = new ScriptedSender(clock);
  const gone: Setup['gone'] = [];
  const { log, lines } = memoryLogger();
  const worker = new OutboxWorker({
    outbox,
    limiter: new RateLimiter(storage, clock),
    sender,
    clock,
    log,
    globalPerSecond: 100,
    onGone: async (key, outcome) => {
      gone.push({ key, outcome });
    },
    ...options,
  });
  return { storage, clock, outbox, sender, worker, gone, lines };
}

const ID = 'failure-op-1';
const ITEM = `${ID}~c1`;

async function enqueueOne(s: Setup, key = 'c1', id = ID): Promise<void> {
  expect(await s.outbox.enqueue(id, 'failures', textReply(`about ${id}`), [key])).toBe(1);
}

/** The largest number of calls within any span of `ms` starting at a call. */
function densest(calls: SentCall[], ms: number): number {
  let most = 0;
  for (const c of calls) most = Math.max(most, calls.filter((d) => d.at >= c.at && d.at < c.at + ms).length);
  return most;
}

describe('OutboxWorker: a successful send', () => {
  it('should write the sent mark with the message id and delete the item', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: true, messageId: '1:abc' });
    expect(await s.worker.tick()).toEqual({ sent: 1, retried: 0, dropped: 0, failed: 0 });
    expect(s.sender.calls).toEqual([{ conversationKey: 'c1', reply: textReply(`about ${ID}`), at: s.clock.now() }]);
    expect(await s.outbox.sent.get(ITEM)).toMatchObject({ at: s.clock.now(), messageId: '1:abc', attempts: 1 });
    expect(await s.outbox.items.get(ITEM)).toBeUndefined();
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 0, dropped: 0, failed: 0 });
    expect(s.sender.calls).toHaveLength(1);
  });

  it('should write a sent mark without a message id when the channel gave none', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', () => ({ ok: true }));
    await s.worker.tick();
    const mark = await s.outbox.sent.get(ITEM);
    expect(mark).toBeDefined();
    expect(mark).not.toHaveProperty('messageId');
  });

  it('should send older notifications first', async () => {
    const s = setup();
    await enqueueOne(s, 'c1', 'zz-old');
    s.clock.advance(1000);
    await enqueueOne(s, 'c1', 'aa-new');
    await s.worker.tick();
    expect(s.sender.calls.map((c) => c.reply)).toEqual([textReply('about zz-old'), textReply('about aa-new')]);
  });

  it('should drop an item whose notification is gone, without sending', async () => {
    const s = setup();
    await enqueueOne(s);
    await s.outbox.notifications.delete(ID);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(0);
    expect(await s.outbox.pending()).toBe(0);
    expect(s.lines.join('\n')).toContain('queued item without its notification');
  });
});

describe('OutboxWorker: 429 and other refusals worth retrying', () => {
  it('should keep a throttled item until Retry-After, counting the attempt, and send it later exactly once', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status: 429, retryAfterMs: 30_000 }, { ok: true, messageId: 'm-late' });
    const t0 = s.clock.now();
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 1, dropped: 0, failed: 0 });
    const item = await s.outbox.items.get(ITEM);
    expect(item).toMatchObject({ attempts: 1, notBefore: t0 + 30_000, lastError: '429' });
    expect(item!.lease).toBeUndefined();

    await s.worker.tick();
    s.clock.advance(29_999);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(1);

    s.clock.advance(1);
    expect(await s.worker.tick()).toMatchObject({ sent: 1 });
    expect(s.sender.calls).toHaveLength(2);
    expect(await s.outbox.sent.get(ITEM)).toMatchObject({ attempts: 2, messageId: 'm-late' });
    expect(await s.outbox.items.get(ITEM)).toBeUndefined();
    s.clock.advance(10 * MIN);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(2);
  });

  it('should not retry earlier than the backoff when Retry-After is shorter', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status: 429, retryAfterMs: 100 });
    const t0 = s.clock.now();
    await s.worker.tick();
    const { notBefore } = (await s.outbox.items.get(ITEM))!;
    // backoffMs(1): 1 s ± 20 %.
    expect(notBefore - t0).toBeGreaterThanOrEqual(800);
    expect(notBefore - t0).toBeLessThanOrEqual(1200);
    s.clock.advance(799);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(1);
  });

  it.each([
    [412, undefined, '412'],
    [412, 'PreconditionFailed', '412 PreconditionFailed'],
    [429, undefined, '429'],
    [502, undefined, '502'],
    [503, 'ServiceUnavailable', '503 ServiceUnavailable'],
    [504, undefined, '504'],
    [0, 'ECONNRESET', 'no answer ECONNRESET'],
    [0, undefined, 'no answer'],
  ])('should retry status %s (code %s) with a backoff', async (status, code, lastError) => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status, ...(code ? { code } : {}) }, { ok: true });
    const t0 = s.clock.now();
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 1, dropped: 0, failed: 0 });
    const item = await s.outbox.items.get(ITEM);
    expect(item).toMatchObject({ attempts: 1, lastError });
    expect(item!.notBefore).toBeGreaterThanOrEqual(t0 + 800);
    expect(await s.outbox.deadLetters.ids()).toEqual([]);
    expect(s.gone).toEqual([]);
    s.clock.advance(1200);
    expect(await s.worker.tick()).toMatchObject({ sent: 1 });
    expect(s.sender.calls).toHaveLength(2);
  });

  it('should back off exponentially, up to 5 minutes, with ±20 % jitter', async () => {
    for (const [attempt, base] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [5, 16_000],
      [9, 256_000],
      [10, 300_000],
      [30, 300_000],
    ]) {
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(attempt);
        expect(ms).toBeGreaterThanOrEqual(base * 0.8);
        expect(ms).toBeLessThanOrEqual(base * 1.2);
      }
    }
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(4)));
    expect(spread.size).toBeGreaterThan(1);
  });

  it('should dead-letter after maxAttempts', async () => {
    const s = setup({ maxAttempts: 3 });
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status: 503 });
    expect(await s.worker.tick()).toMatchObject({ retried: 1 });
    s.clock.advance(10 * MIN);
    expect(await s.worker.tick()).toMatchObject({ retried: 1 });
    s.clock.advance(10 * MIN);
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 0, dropped: 0, failed: 1 });
    expect(await s.outbox.deadLetters.get(ITEM)).toMatchObject({
      attempts: 3,
      lastError: '503',
      conversationKey: 'c1',
    });
    expect(await s.outbox.items.get(ITEM)).toBeUndefined();
    s.clock.advance(10 * MIN);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(3);
  });

  it('should give up after 10 attempts by default', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status: 502 });
    for (let i = 0; i < 12; i++) {
      await s.worker.tick();
      s.clock.advance(6 * MIN);
    }
    expect(s.sender.calls).toHaveLength(10);
    expect(await s.outbox.deadLetters.get(ITEM)).toMatchObject({ attempts: 10, lastError: '502' });
  });
});

describe('OutboxWorker: refusals not worth retrying', () => {
  it.each([
    [500, undefined, '500'],
    [400, 'BadArgument', '400 BadArgument'],
    [413, 'MessageSizeTooBig', '413 MessageSizeTooBig'],
    [401, undefined, '401'],
  ])('should dead-letter status %s with the reason and not retry it', async (status, code, reason) => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', { ok: false, status, ...(code ? { code } : {}) });
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 0, dropped: 0, failed: 1 });
    expect(await s.outbox.deadLetters.get(ITEM)).toMatchObject({
      notificationId: ID,
      conversationKey: 'c1',
      attempts: 1,
      lastError: reason,
    });
    expect(await s.outbox.items.get(ITEM)).toBeUndefined();
    expect(await s.outbox.sent.get(ITEM)).toBeUndefined();
    expect(s.gone).toEqual([]);
    expect(s.lines.join('\n')).toContain('could not be delivered');
    s.clock.advance(60 * MIN);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(1);
  });

  it.each([
    [403, 'BotNotInConversationRoster'],
    [404, 'ConversationNotFound'],
  ])('should drop the item on %s and report the conversation gone once', async (status, code) => {
    const s = setup();
    expect(await s.outbox.enqueue(ID, 'failures', textReply('x'), ['c1', 'c2'])).toBe(2);
    s.sender.script('c1', { ok: false, status, code });
    expect(await s.worker.tick()).toEqual({ sent: 1, retried: 0, dropped: 1, failed: 0 });
    expect(s.gone).toEqual([{ key: 'c1', outcome: { kind: 'gone', reason: `${status} ${code}`, status } }]);
    expect(await s.outbox.items.ids()).toEqual([]);
    expect(await s.outbox.deadLetters.ids()).toEqual([]);
    expect(await s.outbox.sent.ids()).toEqual([`${ID}~c2`]);
    s.clock.advance(60 * MIN);
    await s.worker.tick();
    expect(s.sender.to('c1')).toHaveLength(1);
    expect(s.gone).toHaveLength(1);
  });
});

describe('OutboxWorker: a sender that throws', () => {
  it('should catch it, keep the item queued, and send it once its lease runs out', async () => {
    const s = setup();
    await enqueueOne(s);
    s.sender.script('c1', new Error('socket hang up'), { ok: true });
    expect(await s.worker.tick()).toEqual({ sent: 0, retried: 0, dropped: 0, failed: 0 });
    expect(s.lines.join('\n')).toContain('it stays queued');
    const item = await s.outbox.items.get(ITEM);
    expect(item).toMatchObject({ conversationKey: 'c1', attempts: 0 });
    expect(await s.outbox.deadLetters.ids()).toEqual([]);
    await s.worker.tick();
    expect(s.sender.calls).toHaveLength(1);
    s.clock.advance(60_001);
    expect(await s.worker.tick()).toMatchObject({ sent: 1 });
    expect(s.sender.calls).toHaveLength(2);
    expect(await s.outbox.pending()).toBe(0);
  });

  it('should keep sending the other items of the pass', async () => {
    const s = setup();
    expect(await s.outbox.enqueue(ID, 'failures', textReply('x'), ['c1', 'c2', 'c3'])).toBe(3);
    s.sender.script('c2', new Error('boom'));
    expect(await s.worker.tick()).toMatchObject({ sent: 2 });
    expect(await s.outbox.items.ids()).toEqual([`${ID}~c2`]);
  });
});

describe('OutboxWorker: rate limits', () => {
  it('should send at most 7 of 20 notifications to one conversation in one frozen instant, deferring the rest', async () => {
    const s = setup();
    const t0 = s.clock.now();
    for (let i = 0; i < 20; i++) await enqueueOne(s, 'c1', `n-${String(i).padStart(2, '0')}`);
    expect(await s.worker.tick()).toMatchObject({ sent: 7, retried: 0, failed: 0 });
    expect(s.sender.calls).toHaveLength(7);
    const left = await s.outbox.items.all();
    expect(left).toHaveLength(13);
    for (const item of left) {
      expect(item.notBefore).toBeGreaterThan(t0);
      expect(item.attempts).toBe(0);
      expect(item.lease).toBeUndefined();
    }
    // Nothing more in the same instant.
    expect(await s.worker.tick()).toMatchObject({ sent: 0 });
  });

  it("should drain one busy conversation within every one of Teams' windows, each notification once", async () => {
    const s = setup();
    for (let i = 0; i < 70; i++) await enqueueOne(s, 'c1', `n-${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 500 && (await s.outbox.pending()) > 0; round++) {
      await s.worker.tick();
      const next = Math.min(...(await s.outbox.items.all()).map((i) => i.notBefore));
      if (Number.isFinite(next)) s.clock.set(Math.max(s.clock.now(), next));
    }
    expect(await s.outbox.pending()).toBe(0);
    const ids = s.sender.calls.map((c) => plainText((c.reply as { text: Text }).text));
    expect(new Set(ids).size).toBe(70);
    expect(ids).toHaveLength(70);
    for (const w of TEAMS_CONVERSATION_WINDOWS)
      expect(densest(s.sender.calls, w.ms), `${w.ms} ms`).toBeLessThanOrEqual(w.limit);
  });

  it('should hold 100 conversations to the global cap, sleeping on the clock between seconds', async () => {
    const s = setup({ globalPerSecond: 10 });
    const keys = Array.from({ length: 100 }, (_, i) => `conv-${i}`);
    expect(await s.outbox.enqueue('version-20260101.v1', 'versions', textReply('v'), keys)).toBe(100);
    const t0 = s.clock.now();
    expect(await s.worker.tick()).toMatchObject({ sent: 100 });
    expect(new Set(s.sender.calls.map((c) => c.conversationKey)).size).toBe(100);
    expect(densest(s.sender.calls, 1000)).toBeLessThanOrEqual(10);
    expect(densest(s.sender.calls, 1100)).toBeLessThanOrEqual(10);
    // Ten batches of ten, 1.1 s apart.
    expect(s.clock.now() - t0).toBeGreaterThanOrEqual(9 * 1100);
    expect(s.clock.now() - t0).toBeLessThan(11 * 1100);
  });

  // The conversation slot is reserved before the global wait. When that wait is long (the global
  // window is full), the slot's time is stale by the time the message goes out, and the next sends
  // of the same conversation pass the check at the same instant as the delayed one.
  it('should keep a conversation within 7 per second while the global cap delays its sends', async () => {
    const s = setup({ globalPerSecond: 10 });
    const others = Array.from({ length: 10 }, (_, i) => `other-${i}`);
    await s.outbox.enqueue('n-others', 'versions', textReply('others'), others);
    s.clock.advance(1);
    for (let i = 0; i < 12; i++) await enqueueOne(s, 'c1', `n-c1-${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 100 && (await s.outbox.pending()) > 0; round++) {
      await s.worker.tick();
      const next = Math.min(...(await s.outbox.items.all()).map((i) => i.notBefore));
      if (Number.isFinite(next)) s.clock.set(Math.max(s.clock.now(), next));
    }
    expect(s.sender.calls).toHaveLength(22);
    const c1 = s.sender.to('c1');
    expect(c1).toHaveLength(12);
    for (const w of TEAMS_CONVERSATION_WINDOWS)
      expect(densest(c1, w.ms), `sends to c1 in ${w.ms} ms`).toBeLessThanOrEqual(w.limit);
    expect(densest(s.sender.calls, 1000)).toBeLessThanOrEqual(10);
  });

  it('should share the global cap between two workers', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = setup({ storage, clock, globalPerSecond: 10 });
    const b = setup({ storage, clock, globalPerSecond: 10 });
    const keys = Array.from({ length: 40 }, (_, i) => `conv-${i}`);
    await a.outbox.enqueue('version-20260101.v1', 'versions', textReply('v'), keys);
    await Promise.all([a.worker.tick(), b.worker.tick()]);
    const calls = [...a.sender.calls, ...b.sender.calls];
    expect(calls).toHaveLength(40);
    expect(densest(calls, 1000)).toBeLessThanOrEqual(10);
  });
});

describe('OutboxWorker: two workers on one queue', () => {
  async function drainTogether(a: Setup, b: Setup, rounds = 50): Promise<void> {
    for (let i = 0; i < rounds && (await a.outbox.pending()) > 0; i++) {
      await Promise.all([a.worker.tick(), b.worker.tick()]);
      a.clock.advance(1200);
    }
  }

  function sentPairs(...setups: Setup[]): string[] {
    return setups.flatMap((x) =>
      x.sender.calls.map((c) => `${plainText((c.reply as { text: Text }).text)}|${c.conversationKey}`),
    );
  }

  it('should send every item exactly once when both tick at the same time', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = setup({ storage, clock, globalPerSecond: 1000 });
    const b = setup({ storage, clock, globalPerSecond: 1000 });
    const keys = Array.from({ length: 40 }, (_, i) => `conv-${i}`);
    for (let n = 0; n < 3; n++) await a.outbox.enqueue(`n-${n}`, 'failures', textReply(`n-${n}`), keys);
    const [ra, rb] = await Promise.all([a.worker.tick(), b.worker.tick()]);
    expect(ra.sent + rb.sent).toBe(120);
    const pairs = sentPairs(a, b);
    expect(pairs).toHaveLength(120);
    expect(new Set(pairs).size).toBe(120);
    expect(await a.outbox.pending()).toBe(0);
    expect(await a.outbox.sent.ids()).toHaveLength(120);
  });

  it('should send every item exactly once while rate limits defer some of them', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = setup({ storage, clock, globalPerSecond: 15 });
    const b = setup({ storage, clock, globalPerSecond: 15 });
    const keys = ['c1', 'c2', 'c3'];
    for (let n = 0; n < 12; n++) await a.outbox.enqueue(`n-${n}`, 'failures', textReply(`n-${n}`), keys);
    a.sender.script('c2', { ok: false, status: 503 }, { ok: true });
    await drainTogether(a, b);
    expect(await a.outbox.pending()).toBe(0);
    const pairs = sentPairs(a, b);
    // 36 items, plus c2's first attempt that was refused once.
    expect(pairs).toHaveLength(37);
    expect(new Set(pairs).size).toBe(36);
    expect(await a.outbox.sent.ids()).toHaveLength(36);
    const calls = [...a.sender.calls, ...b.sender.calls];
    for (const key of keys)
      for (const w of TEAMS_CONVERSATION_WINDOWS)
        expect(
          densest(
            calls.filter((c) => c.conversationKey === key),
            w.ms,
          ),
        ).toBeLessThanOrEqual(w.limit);
  });

  it('should send every item exactly once with two processes on one data folder (FileStorage)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'outbox-worker-test-'));
    tmpDirs.push(dir);
    const clock = new FakeClock();
    const a = setup({ storage: new FileStorage(dir), clock, globalPerSecond: 1000 });
    const b = setup({ storage: new FileStorage(dir), clock, globalPerSecond: 1000 });
    const keys = Array.from({ length: 15 }, (_, i) => `conv-${i}`);
    for (let n = 0; n < 2; n++) await a.outbox.enqueue(`n-${n}`, 'failures', textReply(`n-${n}`), keys);
    await drainTogether(a, b);
    const pairs = sentPairs(a, b);
    expect(pairs).toHaveLength(30);
    expect(new Set(pairs).size).toBe(30);
    expect(await b.outbox.pending()).toBe(0);
  });
});
