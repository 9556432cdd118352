/**
 * The global send window without a shared record: each send creates its own claim and counts the
 * claims around it. Several replicas claiming at once never get more than the limit admitted, the
 * window slides (with its 10 % margin), old claims are cleaned up by whoever counts, and no record
 * is ever rewritten.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../../src/clock';
import { RateLimiter } from '../../../src/core/notifications/rateLimiter';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { IF_NONE_MATCH, type StoreItems } from '../../../src/storage/storage';

/** Records the eTag of every write: a claim must always be create-only. */
class WatchedStorage extends MemoryStorage {
  readonly writeETags: (string | undefined)[] = [];
  override async write(changes: StoreItems): Promise<void> {
    for (const item of Object.values(changes)) this.writeETags.push(item.eTag);
    return super.write(changes);
  }
}

const WINDOW = { limit: 10, ms: 1000 };

describe('RateLimiter.claim', () => {
  it('should never admit more than the limit when three replicas claim 60 slots at the same instant', async () => {
    const storage = new WatchedStorage();
    const clock = new FakeClock();
    const replicas = [0, 1, 2].map(() => new RateLimiter(storage, clock));
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => replicas[i % 3].claim('global', WINDOW)));
    // Sixty claims that all see each other: none may assume the others stepped back.
    const admitted = results.filter((r) => r.ok).length;
    expect(admitted).toBeLessThanOrEqual(10);
    for (const r of results) if (!r.ok) expect(r.waitMs).toBeGreaterThan(0);
    expect(storage.writeETags.every((e) => e === IF_NONE_MATCH)).toBe(true);
    expect(await storage.list('rate-limits/')).toEqual([]); // no shared record at all
    // The refused ones took their claims back: what is left is what was admitted.
    expect(await storage.list('rate-claims/global~')).toHaveLength(admitted);
  });

  it('should let 60 concurrent claimers through, never more than the limit per window (real clock)', async () => {
    const storage = new MemoryStorage();
    const replicas = [0, 1, 2].map(() => new RateLimiter(storage, systemClock));
    const window = { limit: 10, ms: 200 };
    const admittedAt: number[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        for (;;) {
          const r = await replicas[i % 3].claim('global', window);
          if (r.ok) return void admittedAt.push(r.at!);
          await new Promise((resolve) => setTimeout(resolve, r.waitMs));
        }
      }),
    );
    expect(admittedAt).toHaveLength(60);
    for (const t of admittedAt) expect(admittedAt.filter((u) => u >= t && u < t + 220).length).toBeLessThanOrEqual(10);
  });

  it('should admit up to the limit one by one, then slide: a slot frees 1.1 windows after it was taken', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const limiter = new RateLimiter(storage, clock);
    for (let i = 0; i < 10; i++) expect(await limiter.claim('global', WINDOW)).toEqual({ ok: true, at: clock.now() });
    const refused = await limiter.claim('global', WINDOW);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.waitMs).toBeGreaterThanOrEqual(1100);
    clock.advance(600);
    expect((await limiter.claim('global', WINDOW)).ok).toBe(false); // within the stretched window
    clock.advance(501);
    expect((await limiter.claim('global', WINDOW)).ok).toBe(true); // 1,101 ms after the first ten
  });

  it('should never admit more than the limit in any window while claims keep coming', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const replicas = [0, 1].map(() => new RateLimiter(storage, clock));
    const admittedAt: number[] = [];
    for (let step = 0; step < 40; step++) {
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => replicas[i % 2].claim('global', WINDOW)));
      for (const r of results) if (r.ok) admittedAt.push(clock.now());
      clock.advance(97);
    }
    for (const t of admittedAt) {
      expect(admittedAt.filter((u) => u >= t && u < t + 1100).length).toBeLessThanOrEqual(10);
    }
    expect(admittedAt.length).toBeGreaterThan(20); // and it does let sends through
  });

  it('should delete claims older than two windows when it counts', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const limiter = new RateLimiter(storage, clock);
    for (let i = 0; i < 5; i++) await limiter.claim('global', WINDOW);
    clock.advance(3000);
    await limiter.claim('global', WINDOW);
    expect(await storage.list('rate-claims/global~')).toHaveLength(1);
  });

  it('should refuse a window name that could not be a storage key', async () => {
    const limiter = new RateLimiter(new MemoryStorage(), new FakeClock());
    await expect(limiter.claim('../x', WINDOW)).rejects.toThrow(/invalid rate window name/);
  });
});
