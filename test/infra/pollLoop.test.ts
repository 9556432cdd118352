/**
 * PollLoop on vitest's fake timers: when its rounds run, as the loop's own schedule, not as a
 * measure of speed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger';
import { PollLoop } from '../../src/infra/pollLoop';

let loop: PollLoop | undefined;
let lines: string[];
const log = () => createLogger('debug', {}, (line) => lines.push(line));

beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
});

afterEach(async () => {
  await loop?.stop();
  vi.useRealTimers();
});

/** A loop whose rounds record when they ran and answer from `found`. */
/** `idleMs: 'none'` makes a loop that does not back off. */
function recording(found: () => boolean | Promise<boolean>, busyMs = 100, idleMs: number | 'none' = 1600) {
  const at: number[] = [];
  const start = Date.now();
  loop = new PollLoop(
    async () => {
      at.push(Date.now() - start);
      return found();
    },
    { busyMs, ...(idleMs === 'none' ? {} : { idleMs }), log: log(), name: 'test round' },
  );
  return at;
}

describe('PollLoop', () => {
  it('should poll every busyMs while rounds find work', async () => {
    const at = recording(() => true);
    loop!.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('should double its pause up to idleMs while rounds find nothing', async () => {
    const at = recording(() => false);
    loop!.start();
    await vi.advanceTimersByTimeAsync(8000);
    const pauses = at.slice(1).map((t, i) => t - at[i]);
    expect(pauses).toEqual([200, 400, 800, 1600, 1600, 1600, 1600]);
  });

  it('should run a round at once when woken, and poll busily again', async () => {
    let work = false;
    const at = recording(() => work);
    loop!.start();
    await vi.advanceTimersByTimeAsync(3100); // rounds at 100, 300, 700, 1500, 3100: idle now
    expect(at).toEqual([100, 300, 700, 1500, 3100]);
    work = true;
    loop!.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(at.at(-1)).toBe(3100);
    expect(at).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(300);
    expect(at.slice(5)).toEqual([3100, 3200, 3300, 3400]);
  });

  it('should run one round at a time, and another right after one that was woken during it', async () => {
    let release: () => void = () => undefined;
    let running = 0;
    let most = 0;
    const at = recording(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => (release = r));
      running--;
      return false;
    });
    loop!.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(at).toEqual([100]);
    loop!.wake();
    loop!.wake();
    await vi.advanceTimersByTimeAsync(50);
    expect(at).toHaveLength(1); // still in the first round
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(at).toEqual([100, 150]);
    expect(most).toBe(1);
    release(); // the second round ends too, so that stop() can
  });

  it('should log a round that throws, back off, and keep going', async () => {
    let calls = 0;
    const escaped: unknown[] = [];
    const onUnhandled = (reason: unknown) => escaped.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const at = recording(() => {
        calls++;
        if (calls <= 3) throw new Error('storage away');
        return true;
      });
      loop!.start();
      await vi.advanceTimersByTimeAsync(1700);
      // Failures back off as idle rounds do (200, 400, 800 ms later); then work, every 100 ms.
      expect(at).toEqual([100, 300, 700, 1500, 1600, 1700]);
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'test round failed; will retry');
      expect(warnings).toHaveLength(3);
      expect(warnings[0].error.message).toBe('storage away');
      expect(escaped).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('should run no round after stop, nor when woken after it', async () => {
    const at = recording(() => true);
    loop!.start();
    await vi.advanceTimersByTimeAsync(250);
    loop!.stop();
    loop!.wake();
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([100, 200]);
  });

  it('should resolve stop only once the round under way has ended, and leave no timer behind', async () => {
    let release: () => void = () => undefined;
    let ended = false;
    recording(async () => {
      await new Promise<void>((r) => (release = r));
      ended = true;
      return true;
    });
    loop!.start();
    await vi.advanceTimersByTimeAsync(100); // the first round is under way
    let stopped = false;
    const stopping = loop!.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should keep a fixed pause when not asked to back off, and may start at once', async () => {
    const at = recording(() => false, 100, 'none');
    loop!.start(0);
    await vi.advanceTimersByTimeAsync(450);
    expect(at).toEqual([0, 100, 200, 300, 400]);
  });
});
