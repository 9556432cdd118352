/**
 * The tracker's timer during a storage outage: each round fails, is logged and tried again; the
 * process lives on (an escaped rejection would end it), and tracking resumes once storage is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeClient } from '../../../src/client/runtimeClient';
import { FakeClock } from '../../../src/clock';
import { OperationTracker } from '../../../src/core/tracking/tracker';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { StorageUnavailableError } from '../../../src/storage/storage';

/** A MemoryStorage whose lists fail while `down` is set, as a stopped blob service's would. */
class OutageStorage extends MemoryStorage {
  down = true;
  lists = 0;
  override async list(prefix: string): Promise<string[]> {
    this.lists++;
    if (this.down) throw new StorageUnavailableError(`list ${prefix}: blob storage unreachable (ECONNREFUSED)`);
    return super.list(prefix);
  }
}

let tracker: OperationTracker | undefined;
afterEach(() => tracker?.stop());

describe('OperationTracker during a storage outage', () => {
  it('should log each failed round and keep going, without an unhandled rejection', async () => {
    const escaped: unknown[] = [];
    const onUnhandled = (reason: unknown) => escaped.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const storage = new OutageStorage();
      const logs: string[] = [];
      tracker = new OperationTracker(
        storage,
        {} as RuntimeClient, // never called: nothing is tracked
        { update: async () => undefined },
        new FakeClock(),
        createLogger('debug', {}, (line) => logs.push(line)),
      );
      tracker.start(5);
      await expect.poll(() => storage.lists, { interval: 5, timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      storage.down = false;
      const failedRounds = storage.lists;
      await expect.poll(() => storage.lists, { interval: 5, timeout: 10_000 }).toBeGreaterThanOrEqual(failedRounds + 2);
      await new Promise((r) => setImmediate(r));
      expect(escaped).toEqual([]);
      const warnings = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'tracking round failed; will retry');
      expect(warnings.length).toBeGreaterThanOrEqual(3);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
