/**
 * The operation tracker against a real runtime service: it updates a message when its operation
 * moves, exactly once across replicas, writes nothing while the operation does not move, and
 * forgets the message when the operation ends. Events from the service's log drive it; polling
 * is the fallback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../../src/client/runtimeClient';
import type { Operation, ServiceEvent } from '../../../src/domain/runtime';
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

/** Operation reads the service answered, as the tracker's client made them. */
let operationReads = 0;
const client = () => new RuntimeClient({ baseUrl: s.url });
const countingClient = () =>
  new RuntimeClient({
    baseUrl: s.url,
    fetch: async (input, init) => {
      if (/\/v1\/operations\/[^/?]+$/.test(String(input))) operationReads++;
      return fetch(input, init);
    },
  });
const tracker = (owner: string, c = client()) =>
  new OperationTracker(storage, c, updater, s.clock, createLogger('silent'), owner);

/** The service's events so far, as the notifier hands them over. */
async function events(): Promise<ServiceEvent[]> {
  return s.app.events.after('0', 1000);
}

async function startCreate(name = 'tracked-rt'): Promise<string> {
  const res = await s.request('PUT', `/v1/runtimes/${name}`, { actor: ACTORS.alex, body: automatic() });
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

  it('should say while it follows an operation, tell its listeners when it starts, and stop once it ended', async () => {
    const t = tracker('tracker-a');
    const started: string[] = [];
    t.onFollow(() => started.push('follow'));
    expect(t.isFollowing()).toBe(false);
    const id = await startCreate();
    await t.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt');
    expect(started).toEqual(['follow']);
    expect(t.isFollowing()).toBe(true);
    await advance(s, TIMINGS.startMs);
    await t.tick();
    expect(t.isFollowing()).toBe(false);
    // Another replica's entry, found by a round, counts too.
    const other = tracker('tracker-b');
    const second = await startCreate('tracked-two');
    await other.track(await client().getOperation(second), 'conv-1', 'msg-2', 'Create tracked-two');
    await t.pollDue(0);
    expect(t.isFollowing()).toBe(true);
  });

  it('should read a followed operation once per page of events that names it, and not for other events', async () => {
    operationReads = 0;
    const t = tracker('tracker-a', countingClient());
    const id = await startCreate();
    await t.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt');
    const unrelated = { id: '1', type: 'image.released' as const, time: '', data: { tag: 'x' } };
    expect(await t.onEvents([unrelated])).toBe(0);
    expect(operationReads).toBe(0);
    await advance(s, TIMINGS.startMs);
    const page = await events();
    expect(page.filter((e) => e.type === 'operation.completed')).toHaveLength(1);
    expect(await t.onEvents(page)).toBe(1);
    expect(operationReads).toBe(1);
    expect(updater.updates).toEqual([{ messageId: 'msg-1', status: 'Succeeded' }]);
    // The page again (a reader that crashed before moving its cursor): nothing is followed, nothing read.
    expect(await t.onEvents(page)).toBe(0);
    expect(operationReads).toBe(1);
  });

  it('should leave to the fallback poll only what no event has made it read lately', async () => {
    operationReads = 0;
    const t = tracker('tracker-a', countingClient());
    const id = await startCreate();
    await t.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt');
    expect((await t.pollDue(10_000)).tracked).toBe(1);
    expect(operationReads).toBe(1); // never read here yet: due
    s.clock.advance(5_000);
    await t.pollDue(10_000);
    expect(operationReads).toBe(1); // read five seconds ago: not due
    s.clock.advance(5_000);
    await t.pollDue(10_000);
    expect(operationReads).toBe(2);
  });

  it('should keep one entry when the same message is handed over twice, the first with its origin', async () => {
    const t = tracker('tracker-a');
    const id = await startCreate();
    const op = await client().getOperation(id);
    await t.track(op, 'conv-1', 'msg-1', 'Create tracked-rt (approved)', { approvalId: 'K7Q2XM' });
    await t.track(op, 'conv-1', 'msg-1', 'Create tracked-rt');
    const entries = await storage.inner.list('tracked-operations/');
    expect(entries).toHaveLength(1);
    const stored = (await storage.inner.read(entries))[entries[0]];
    expect(stored).toMatchObject({ approvalId: 'K7Q2XM', title: 'Create tracked-rt (approved)' });
    expect(await t.follows(id)).toBe(true);
  });

  it('should update every message that shows the operation with one read', async () => {
    operationReads = 0;
    const t = tracker('tracker-a', countingClient());
    const id = await startCreate();
    const op = await client().getOperation(id);
    await t.track(op, 'conv-1', 'msg-1', 'Create tracked-rt');
    await t.track(op, 'conv-2', 'msg-2', 'Create tracked-rt');
    await advance(s, TIMINGS.startMs);
    expect(await t.onEvents(await events())).toBe(2);
    expect(operationReads).toBe(1);
    expect(updater.updates.map((u) => u.messageId).sort()).toEqual(['msg-1', 'msg-2']);
  });

  it('should report an end once across replicas, and again after a failed report', async () => {
    const a = tracker('tracker-a');
    const b = tracker('tracker-b');
    const ended: string[] = [];
    let fail = true;
    const report = async (op: Operation, message: { approvalId?: string }) => {
      if (fail) throw new Error('storage away');
      ended.push(`${op.id}:${op.status}:${message.approvalId}`);
    };
    a.onEnded(report);
    b.onEnded(report);
    const id = await startCreate();
    await a.track(await client().getOperation(id), 'conv-1', 'msg-1', 'Create tracked-rt', { approvalId: 'K7Q2XM' });
    await advance(s, TIMINGS.startMs);
    await a.tick(); // the report fails: the message is up to date, the entry stays
    expect(updater.updates).toEqual([{ messageId: 'msg-1', status: 'Succeeded' }]);
    expect(await a.follows(id)).toBe(true);
    fail = false;
    await Promise.all([a.tick(), b.tick()]);
    expect(ended).toEqual([`${id}:Succeeded:K7Q2XM`]);
    expect(updater.updates).toHaveLength(1); // the same view is not sent again
    expect(await a.follows(id)).toBe(false);
  });
});
