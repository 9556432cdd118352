/**
 * The operation tracker against a real runtime service: it updates a message when its operation
 * moves, exactly once across replicas, writes nothing while the operation does not move, and
 * forgets the message when the operation ends.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../../src/client/runtimeClient';
import type { Reply } from '../../../src/core/replies';
import { type MessageUpdater, OperationTracker } from '../../../src/core/tracking/tracker';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { ACTORS, advance, automatic, startTestService, type TestService, TIMINGS } from '../../helpers/service';

class RecordingUpdater implements MessageUpdater {
  readonly updates: { messageId: string; status: string }[] = [];
  async update(_conversationKey: string, messageId: string, reply: Reply): Promise<void> {
    if (reply.kind === 'operation') this.updates.push({ messageId, status: reply.operation.status });
  }
}

let s: TestService;
let storage: CountingStorage;
let updater: RecordingUpdater;

beforeEach(async () => {
  s = await startTestService();
  storage = new CountingStorage(new MemoryStorage());
  updater = new RecordingUpdater();
});
afterEach(async () => s.close());

const client = () => new RuntimeClient({ baseUrl: s.url });
const tracker = (owner: string) =>
  new OperationTracker(storage, client(), updater, s.clock, createLogger('silent'), owner);

async function startCreate(): Promise<string> {
  const res = await s.request('PUT', '/v1/runtimes/tracked-rt', { actor: ACTORS.alex, body: automatic() });
  expect(res.status).toBe(202);
  return res.json.id;
}

describe('OperationTracker', () => {
  it('should write nothing while the operation does not move', async () => {
    const t = tracker('tracker-a');
    const id = await startCreate();
    await t.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt');
    storage.reset();
    for (let i = 0; i < 10; i++) expect(await t.tick()).toBe(0);
    expect(storage.writes()).toBe(0);
    expect(updater.updates).toEqual([]);
  });

  it('should update the message once when the operation moves, and forget it when it ends', async () => {
    const a = tracker('tracker-a');
    const b = tracker('tracker-b');
    const id = await startCreate();
    await a.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt');
    await advance(s, TIMINGS.startMs);
    expect((await s.app.engine.getOperation(id))!.status).toBe('Succeeded');
    // Two replicas poll at once: one of them updates the message.
    const [ua, ub] = await Promise.all([a.tick(), b.tick()]);
    expect(ua + ub).toBe(1);
    expect(updater.updates).toEqual([{ messageId: 'msg-1', status: 'Succeeded' }]);
    expect(await storage.inner.list('tracked-operations/')).toEqual([]);
    storage.reset();
    expect(await a.tick()).toBe(0);
    expect(storage.writes()).toBe(0);
  });
});
