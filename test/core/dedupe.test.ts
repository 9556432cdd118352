/**
 * The duplicate guard: a repeat within its window is recognized; a failed request's repeat reuses
 * its Idempotency-Key for a while (so a success the failure hid is found, not doubled); and claims
 * expire, swept at most once an hour by whoever claims, without a shared record.
 */
import { describe, expect, it } from 'vitest';
import { DuplicateGuard, KEY_REUSE_MS, outcomeOf } from '../../src/core/dedupe';
import type { Reply } from '../../src/core/replies';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { CountingStorage } from '../helpers/countingStorage';
import { text as words } from '../../src/core/text';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

describe('DuplicateGuard', () => {
  it('should recognize a repeat within the window, and take it as new after', async () => {
    const guard = new DuplicateGuard(new MemoryStorage(), 'recent');
    const first = await guard.claim('k', T0);
    expect(first.fresh).toBe(true);
    await guard.settle('k', { operationId: 'op-1' }, T0 + 1000);
    expect(await guard.claim('k', T0 + 59_000)).toEqual({ fresh: false, operationId: 'op-1' });
    const later = await guard.claim('k', T0 + 61_000);
    expect(later.fresh).toBe(true);
    expect(later.fresh && first.fresh && later.idempotencyKey).not.toBe(first.fresh && first.idempotencyKey);
  });

  it('should show a repeat the approval its first request asked for, and release a request with no outcome', async () => {
    const guard = new DuplicateGuard(new MemoryStorage(), 'recent');
    await guard.claim('asked', T0);
    await guard.settle('asked', { approvalId: 'ap-7' }, T0 + 1000);
    expect(await guard.claim('asked', T0 + 2000)).toEqual({ fresh: false, approvalId: 'ap-7' });
    const failed = await guard.claim('failed', T0);
    await guard.settle('failed', undefined, T0 + 1000);
    expect(await guard.claim('failed', T0 + 2000)).toEqual(failed); // released: the repeat runs, with the same key
  });

  it("should give a released request's repeat the same Idempotency-Key, for KEY_REUSE_MS", async () => {
    const guard = new DuplicateGuard(new MemoryStorage(), 'recent');
    const first = await guard.claim('k', T0);
    await guard.release('k', T0 + 5000);
    const again = await guard.claim('k', T0 + 6000);
    expect(again).toEqual(first);
    await guard.release('k', T0 + 7000);
    const muchLater = await guard.claim('k', T0 + 7000 + KEY_REUSE_MS);
    expect(muchLater.fresh).toBe(true);
    expect(muchLater).not.toEqual(first);
  });

  it('should let a released claim be claimed again at once, and only once', async () => {
    const guard = new DuplicateGuard(new MemoryStorage(), 'recent');
    await guard.claim('k', T0);
    await guard.release('k', T0 + 1000);
    const [a, b] = await Promise.all([guard.claim('k', T0 + 2000), guard.claim('k', T0 + 2000)]);
    expect([a.fresh, b.fresh].sort()).toEqual([false, true]);
  });

  it('should delete claims that can neither block a repeat nor lend a key', async () => {
    const storage = new MemoryStorage();
    const guard = new DuplicateGuard(storage, 'recent');
    await guard.claim('old', T0);
    await guard.claim('released', T0);
    await guard.release('released', T0 + 5 * MIN);
    await guard.claim('young', T0 + 12 * MIN);
    expect(await guard.sweep(T0 + 13 * MIN)).toBe(1); // 'old'; 'released' lends its key until 15 min
    expect(await storage.list('recent/')).toEqual(['recent/released', 'recent/young']);
    expect(await guard.sweep(T0 + 16 * MIN)).toBe(1);
    expect(await storage.list('recent/')).toEqual(['recent/young']);
  });

  it('should sweep from a claim at most once an hour, in the background', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const guard = new DuplicateGuard(storage, 'recent');
    await guard.claim('a', T0);
    const sweeps = () => storage.count('list', 'recent/');
    await waitFor(() => sweeps() === 1);
    await guard.claim('b', T0 + 30 * MIN);
    await guard.claim('c', T0 + 59 * MIN);
    expect(sweeps()).toBe(1);
    await guard.claim('d', T0 + 61 * MIN);
    // a and b are older than ten minutes at 61 min; c and d are not.
    const left = async () => JSON.stringify(await storage.inner.list('recent/'));
    await waitFor(async () => (await left()) === JSON.stringify(['recent/c', 'recent/d']));
    expect(sweeps()).toBe(2);
  });
});

describe('outcomeOf', () => {
  const operation = { kind: 'operation', operation: { id: 'op-1' } } as unknown as Reply;
  const approval = { kind: 'approval', approval: { id: 'ap-1' } } as unknown as Reply;
  const text: Reply = { kind: 'text', text: words('done') };

  it('should prefer the operation a request started over an approval among its replies', () => {
    expect(outcomeOf([approval, operation])).toEqual({ operationId: 'op-1' });
    expect(outcomeOf([text, approval])).toEqual({ approvalId: 'ap-1' });
  });

  it('should leave out approvals when asked (a vote), and find nothing in a failed request', () => {
    expect(outcomeOf([approval], false)).toBeUndefined();
    expect(outcomeOf([operation], false)).toEqual({ operationId: 'op-1' });
    expect(outcomeOf([text])).toBeUndefined();
  });
});

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await check()).toBe(true);
}
