/**
 * RateLimiter: durable sliding windows with a margin, shared through storage by every replica.
 * Teams' per-conversation windows (7/1 s, 8/2 s, 60/30 s) and a global per-second cap.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { RateLimiter, TEAMS_CONVERSATION_WINDOWS, type Window } from '../../../src/core/notifications/rateLimiter';
import { MemoryStorage } from '../../../src/storage/memoryStorage';

const CONV = 'conversation.c1';

function setup(margin?: number) {
  const storage = new MemoryStorage();
  const clock = new FakeClock();
  const limiter = margin === undefined ? new RateLimiter(storage, clock) : new RateLimiter(storage, clock, margin);
  return { storage, clock, limiter };
}

async function reserveMany(
  limiter: RateLimiter,
  n: number,
  key = CONV,
  windows: Window[] = TEAMS_CONVERSATION_WINDOWS,
) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.reserve(key, windows));
  return out;
}

describe('RateLimiter, Teams per-conversation windows', () => {
  it('should let 7 reservations through in one instant and make the 8th wait about 1.1 s', async () => {
    const { limiter } = setup();
    const results = await reserveMany(limiter, 7);
    expect(results.every((r) => r.ok)).toBe(true);
    const eighth = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    expect(eighth.ok).toBe(false);
    if (eighth.ok) return;
    // The oldest send leaves the 1 s window (stretched to 1.1 s) one millisecond after 1,100 ms.
    expect(eighth.waitMs).toBeGreaterThanOrEqual(1100);
    expect(eighth.waitMs).toBeLessThanOrEqual(1102);
  });

  it('should not store a refused reservation: waiting leaves nothing behind', async () => {
    const { limiter, clock } = setup();
    await reserveMany(limiter, 7);
    for (let i = 0; i < 5; i++) expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(false);
    const refused = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    if (refused.ok) throw new Error('expected a refusal');
    clock.advance(refused.waitMs);
    // Had the refusals counted, the 8-per-2-s window would still be full.
    expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(true);
  });

  it('should allow the 8th after the wait, then hold the 9th for the 8-per-2-s window', async () => {
    const { limiter, clock } = setup();
    await reserveMany(limiter, 7);
    const eighth = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    if (eighth.ok) throw new Error('expected a refusal');
    clock.advance(eighth.waitMs - 2);
    expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(false);
    clock.advance(2);
    expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(true);
    const ninth = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    expect(ninth.ok).toBe(false);
    if (ninth.ok) return;
    // 8 sends within 2.2 s: the first 7 leave the 2 s window at start + 2,200 ms.
    const elapsed = eighth.waitMs;
    expect(ninth.waitMs).toBe(2200 - elapsed + 1);
  });

  it('should allow 60 per 30 s window, then wait until the oldest leaves 33 s later', async () => {
    const { limiter, clock } = setup();
    const start = clock.now();
    // 300 ms apart stays clear of the 1 s and 2 s windows.
    for (let i = 0; i < 60; i++) {
      const r = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
      expect(r.ok, `reservation ${i + 1}`).toBe(true);
      clock.advance(300);
    }
    const refused = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.waitMs).toBe(start + 33_000 - clock.now() + 1);
    clock.advance(refused.waitMs);
    expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(true);
  });

  it('should never let more than the limits through in any window while a caller keeps trying', async () => {
    const { limiter, clock } = setup();
    const sent: number[] = [];
    const end = clock.now() + 65_000;
    while (clock.now() < end) {
      const r = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
      if (r.ok) sent.push(clock.now());
      else clock.advance(r.waitMs);
    }
    for (const { limit, ms } of TEAMS_CONVERSATION_WINDOWS) {
      for (const t of sent) {
        const inWindow = sent.filter((s) => s >= t && s < t + ms).length;
        expect(inWindow, `sends in ${ms} ms from ${t}`).toBeLessThanOrEqual(limit);
      }
    }
    // Not starved either: about 60 per 33 s.
    expect(sent.length).toBeGreaterThanOrEqual(110);
  });

  it('should keep keys apart', async () => {
    const { limiter } = setup();
    await reserveMany(limiter, 7, 'conversation.a');
    expect((await limiter.reserve('conversation.a', TEAMS_CONVERSATION_WINDOWS)).ok).toBe(false);
    expect((await limiter.reserve('conversation.b', TEAMS_CONVERSATION_WINDOWS)).ok).toBe(true);
  });
});

describe('RateLimiter margin', () => {
  it('should stretch every window by the margin (1.1 by default)', async () => {
    const { limiter, clock } = setup();
    await reserveMany(limiter, 7);
    clock.advance(1001);
    // Past Teams' own 1 s, still inside the stretched 1.1 s.
    const r = await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    expect(r).toEqual({ ok: false, waitMs: 100 });
  });

  it('should use the exact windows with a margin of 1', async () => {
    const { limiter, clock } = setup(1);
    await reserveMany(limiter, 7);
    expect(await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).toEqual({ ok: false, waitMs: 1001 });
    clock.advance(1001);
    expect((await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).ok).toBe(true);
  });

  it('should stretch by a larger margin', async () => {
    const { limiter } = setup(1.5);
    await reserveMany(limiter, 7);
    expect(await limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)).toEqual({ ok: false, waitMs: 1501 });
  });
});

describe('RateLimiter across replicas and concurrent callers', () => {
  it('should share windows between two limiters on the same storage', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const a = new RateLimiter(storage, clock);
    const b = new RateLimiter(storage, clock);
    await reserveMany(a, 4);
    await reserveMany(b, 3);
    const fromA = await a.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    const fromB = await b.reserve(CONV, TEAMS_CONVERSATION_WINDOWS);
    expect(fromA.ok).toBe(false);
    expect(fromB.ok).toBe(false);
  });

  it('should let exactly the limit through among 20 concurrent reservations', async () => {
    const { limiter } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => limiter.reserve(CONV, TEAMS_CONVERSATION_WINDOWS)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, waitMs: 1101 });
  });

  it('should let exactly the limit through among concurrent reservations from two replicas', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const replicas = [new RateLimiter(storage, clock), new RateLimiter(storage, clock)];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => replicas[i % 2].reserve(CONV, TEAMS_CONVERSATION_WINDOWS)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
  });
});

describe('RateLimiter, global per-second cap', () => {
  const GLOBAL: Window[] = [{ limit: 30, ms: 1000 }];

  it('should let 30 through in a second and hold the 31st for 1.1 s', async () => {
    const { limiter, clock } = setup();
    const results = await reserveMany(limiter, 30, 'global', GLOBAL);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await limiter.reserve('global', GLOBAL)).toEqual({ ok: false, waitMs: 1101 });
    clock.advance(1101);
    expect((await reserveMany(limiter, 30, 'global', GLOBAL)).every((r) => r.ok)).toBe(true);
    expect((await limiter.reserve('global', GLOBAL)).ok).toBe(false);
  });

  it('should hold concurrent callers to 30 at once', async () => {
    const { limiter } = setup();
    const results = await Promise.all(Array.from({ length: 45 }, () => limiter.reserve('global', GLOBAL)));
    expect(results.filter((r) => r.ok)).toHaveLength(30);
  });
});
