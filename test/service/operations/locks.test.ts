/**
 * RuntimeLocks: the release of a runtime's lock when its operation ends, and the repair of locks a
 * crash left behind, on the real read model over memory storage.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock, iso } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { EventLog } from '../../../src/service/events/eventLog';
import type { OperationRecord, RuntimeRecord } from '../../../src/service/model';
import { RuntimeLocks } from '../../../src/service/operations/locks';
import { RuntimeReadModel } from '../../../src/service/readModel/readModel';
import { VersionStore } from '../../../src/service/versions/versionStore';
import { Collection } from '../../../src/storage/collection';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { lockedRuntime, NOW, operationRecord } from './support';

const CATALOGUE = path.join(__dirname, '../../../catalogue/promptflow-runtime-stable.json');

function operation(id: string, kind: OperationRecord['kind'], status: OperationRecord['status']): OperationRecord {
  const at = iso(NOW - 60_000);
  return operationRecord({
    id,
    kind,
    status,
    createdOn: at,
    updatedOn: at,
    phase: status === 'Running' ? 'begin' : 'done',
  });
}

/** chat-dev, locked by `op` since `lockedAgoMs`; `op` stored unless `stored` is false. */
async function setup(op: OperationRecord, lockedAgoMs: number, stored = true) {
  const storage = new MemoryStorage();
  const clock = new FakeClock(NOW);
  const log = createLogger('silent');
  const events = new EventLog(storage, clock, { log });
  const index = new RuntimeReadModel({
    storage,
    events,
    versions: new VersionStore(storage, CATALOGUE, clock, events),
    log,
  });
  const writers = index.observe(storage);
  const runtimes = new Collection<RuntimeRecord>(writers, 'runtimes');
  const operations = new Collection<OperationRecord>(writers, 'operations');
  const pending = new Collection<{ since: string }>(writers, 'pending-operations');
  await runtimes.create('chat-dev', lockedRuntime(op, lockedAgoMs));
  if (stored) await operations.create(op.id, op);
  await index.start();
  const locks = new RuntimeLocks(runtimes, operations, pending, index, clock, log);
  return { locks, runtimes, pending };
}

describe('RuntimeLocks', () => {
  it('should release the lock of an ended operation, record it as the last one and take it off the queue, once', async () => {
    const op = operation('op-ended', 'install', 'Succeeded');
    const { locks, runtimes, pending } = await setup(op, 60_000);
    await pending.put(op.id, { since: op.createdOn });
    await locks.finish(op);
    await locks.finish(op);
    const runtime = await runtimes.get('chat-dev');
    expect(runtime?.activeOperation).toBeUndefined();
    expect(runtime?.lastOperation).toMatchObject({ id: 'op-ended', status: 'Succeeded' });
    expect(await pending.get(op.id)).toBeUndefined();
  });

  it('should say who holds a lock', async () => {
    const op = operation('op-holder', 'install', 'Running');
    const { locks } = await setup(op, 1000);
    expect(await locks.heldBy(op)).toBe(true);
    expect(await locks.heldBy({ ...op, id: 'op-other' })).toBe(false);
  });

  it('should leave a lock younger than 30 s alone, even when its operation is missing', async () => {
    const { locks, runtimes } = await setup(operation('op-young', 'install', 'Running'), 10_000, false);
    await locks.repair();
    expect((await runtimes.get('chat-dev'))?.activeOperation?.id).toBe('op-young');
  });

  it('should queue again an operation still running under an old lock, and keep its lock', async () => {
    const op = operation('op-running', 'install', 'Running');
    const { locks, runtimes, pending } = await setup(op, 60_000);
    await locks.repair();
    expect((await runtimes.get('chat-dev'))?.activeOperation?.id).toBe('op-running');
    expect(await pending.get(op.id)).toMatchObject({ since: op.createdOn });
  });

  it('should finish an ended operation whose lock a crash left behind', async () => {
    const { locks, runtimes } = await setup(operation('op-left', 'stop', 'Failed'), 60_000);
    await locks.repair();
    const runtime = await runtimes.get('chat-dev');
    expect(runtime?.activeOperation).toBeUndefined();
    expect(runtime?.lastOperation).toMatchObject({ id: 'op-left', status: 'Failed' });
  });

  it('should release the lock of an operation never written, and drop a runtime it was creating', async () => {
    const changed = await setup(operation('op-lost', 'install', 'Running'), 60_000, false);
    await changed.locks.repair();
    const runtime = await changed.runtimes.get('chat-dev');
    expect(runtime?.status).toBe('Running');
    expect(runtime?.activeOperation).toBeUndefined();

    const created = await setup(operation('op-lost-create', 'create', 'Running'), 60_000, false);
    await created.locks.repair();
    expect(await created.runtimes.get('chat-dev')).toBeUndefined();
  });
});
