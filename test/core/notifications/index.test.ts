/**
 * The notifications' reading loop: every second while events come or a message waits for them
 * (the tracker follows an operation), backing off to a look every few seconds while nothing
 * happens, and at once when this process starts following an operation. Fake timers and a client
 * that counts its reads of the event log.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeClient } from '../../../src/client/runtimeClient';
import { AuditLog } from '../../../src/core/audit/auditLog';
import { Notifications } from '../../../src/core/notifications';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { memoryLogger, ScriptedSender } from './fakes';

const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** A service whose log grows by one event per read while `busy`. */
function countingClient() {
  const log = { head: 7, busy: false, reads: 0 };
  const client = {
    async events(after: string, limit: number) {
      log.reads += 1;
      if (log.busy) log.head += 1;
      const value = [];
      for (let id = Number(after) + 1; id <= log.head && value.length < limit; id++)
        value.push({ id: String(id), type: 'runtime.changed', time: new Date().toISOString(), data: {} });
      return { value, next: value.at(-1)?.id ?? after, head: String(log.head) };
    },
  };
  return { log, client: client as unknown as RuntimeClient };
}

let notifications: Notifications | undefined;

function start(client: RuntimeClient, awaited: () => boolean): Notifications {
  const storage = new MemoryStorage();
  notifications = new Notifications({
    storage,
    client,
    audit: new AuditLog(storage, clock),
    clock,
    log: memoryLogger().log,
    config: { idleWarningMinutes: 15, globalSendsPerSecond: 30 },
    sender: new ScriptedSender(clock),
    awaited,
  });
  notifications.start();
  return notifications;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  const stopping = notifications?.stop();
  await vi.runOnlyPendingTimersAsync();
  await stopping;
  notifications = undefined;
  vi.useRealTimers();
});

describe('reading events for notifications', () => {
  it('should look every second while events come, and every few seconds while none do', async () => {
    const { log, client } = countingClient();
    start(client, () => false);
    log.busy = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log.reads).toBeGreaterThanOrEqual(9);

    log.busy = false;
    const before = log.reads;
    await vi.advanceTimersByTimeAsync(30_000);
    // 1 s, 2 s, 4 s, then every 5 s: about 8 looks in 30 s, against 30 at the busy pace.
    expect(log.reads - before).toBeLessThanOrEqual(9);
    expect(log.reads - before).toBeGreaterThanOrEqual(6);
  });

  it('should keep looking every second while a message waits for an operation’s events', async () => {
    const { log, client } = countingClient();
    start(client, () => true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(log.reads).toBeGreaterThanOrEqual(28);
  });

  it('should look at once when woken (this process started following an operation)', async () => {
    const { log, client } = countingClient();
    const n = start(client, () => false);
    await vi.advanceTimersByTimeAsync(30_000); // backed off
    const before = log.reads;
    n.wake();
    await vi.advanceTimersByTimeAsync(10);
    expect(log.reads).toBe(before + 1);
  });
});
