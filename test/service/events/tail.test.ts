/**
 * The shared tail of the event log: every `pollMs` while events come, backing off to four times
 * that while the log is quiet (an idle replica reads it a few times a second less), at once again
 * when this process writes, and it records when a read last succeeded (the read model's proof of
 * being current). Fake timers: the polls are counted, not timed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServiceEvent } from '../../../src/domain/runtime';
import { EventTail } from '../../../src/service/events/tail';
import { createLogger } from '../../../src/logger';

function event(id: number): ServiceEvent {
  return { id: String(id), type: 'runtime.changed', time: new Date(0).toISOString(), data: { runtimeName: 'x' } };
}

/** A log whose head moves one event per read while `busy`. */
function fakeLog() {
  const log = { head: 10, busy: false, reads: 0 };
  const read = async (after: number): Promise<ServiceEvent[]> => {
    log.reads += 1;
    if (log.busy) log.head += 1;
    const out: ServiceEvent[] = [];
    for (let id = after + 1; id <= log.head; id++) out.push(event(id));
    return out;
  };
  return { log, read, lastId: async () => log.head };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the event tail', () => {
  it('should poll every pollMs while events come, and four times less often while none do', async () => {
    const { log, read, lastId } = fakeLog();
    const tail = new EventTail(read, lastId, 500, createLogger('silent'));
    const seen: string[] = [];
    const sub = await tail.subscribe(
      undefined,
      (events) => seen.push(...events.map((e) => e.id)),
      () => undefined,
    );

    log.busy = true;
    await vi.advanceTimersByTimeAsync(10_000);
    const busyPolls = tail.polls;
    expect(busyPolls).toBeGreaterThanOrEqual(19); // every 500 ms
    expect(seen.at(-1)).toBe(String(log.head));

    log.busy = false;
    await vi.advanceTimersByTimeAsync(20_000);
    // 1 s, 2 s, then every 2 s: about 10 polls in 20 s, against 40 at the busy pace.
    expect(tail.polls - busyPolls).toBeGreaterThanOrEqual(9);
    expect(tail.polls - busyPolls).toBeLessThanOrEqual(11);
    sub.close();
  });

  it('should return to the busy pace as soon as this process offers events', async () => {
    const { log, read, lastId } = fakeLog();
    const tail = new EventTail(read, lastId, 500, createLogger('silent'));
    const sub = await tail.subscribe(
      undefined,
      () => undefined,
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(20_000); // backed off to 2 s
    log.head += 1;
    tail.offer([event(log.head)]);
    log.busy = true; // other replicas write too now
    const before = tail.polls;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tail.polls - before).toBeGreaterThanOrEqual(8);
    sub.close();
  });

  it('should record when a read of the log last succeeded, and not move it when one fails', async () => {
    const { read, lastId } = fakeLog();
    let failing = false;
    const tail = new EventTail(
      async (after) => {
        if (failing) throw new Error('storage away');
        return read(after);
      },
      lastId,
      500,
      createLogger('silent'),
    );
    const sub = await tail.subscribe(
      undefined,
      () => undefined,
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(600);
    const readAt = tail.lastReadAt;
    expect(readAt).toBe(Date.now() - 100);
    failing = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tail.lastReadAt).toBe(readAt);
    sub.close();
  });
});
