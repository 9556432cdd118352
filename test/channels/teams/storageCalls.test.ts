/**
 * What a `status` turn costs in storage calls, bot and service together, counted through wrappers
 * around both storages: it must not grow with the number of runtimes (it did: the service read
 * every record for each summary, 502 reads at 500 runtimes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeRecord } from '../../../src/service/model';
import { Collection } from '../../../src/storage/collection';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { ACTORS } from '../../helpers/service';
import { type Stack, startStack } from '../../helpers/stack';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function seed(storage: MemoryStorage, count: number): Promise<void> {
  const runtimes = new Collection<RuntimeRecord>(storage, 'runtimes');
  for (let i = 0; i < count; i++) {
    const name = `rt-${String(i).padStart(4, '0')}`;
    await runtimes.create(name, {
      name,
      type: 'automatic',
      status: i % 7 === 0 ? 'Failed' : 'Running',
      owner: ACTORS.alex,
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 120,
      imageVersion: i % 3 === 0 ? '20240429.v8' : undefined,
      createdOn: '2026-11-20T09:00:00.000Z',
      modifiedOn: '2026-11-20T09:00:00.000Z',
    } as RuntimeRecord);
  }
}

/** Storage calls of one `status` turn in a conversation the bot knows, after a first one. */
async function statusTurnCalls(runtimes: number): Promise<{ bot: string[]; service: string[] }> {
  const serviceInner = new MemoryStorage();
  await seed(serviceInner, runtimes);
  const serviceStorage = new CountingStorage(serviceInner);
  const botStorage = new CountingStorage(new MemoryStorage());
  stack = await startStack({ service: { demoData: false }, storage: { bot: botStorage, service: serviceStorage } });
  await stack.say('status');
  serviceStorage.reset();
  botStorage.reset();
  const turn = await stack.say('status');
  expect(turn.status).toBe(200);
  const card = JSON.stringify(stack.connector.calls.at(-1)?.activity.attachments);
  expect(card).toContain(`${runtimes} runtimes`); // the summary of every runtime was built
  const calls = { bot: botStorage.lines(), service: serviceStorage.lines() };
  await stack.close();
  stack = undefined;
  return calls;
}

describe('a status turn', () => {
  it('should make as many storage calls at 500 runtimes as at 50, and only a few', async () => {
    const small = await statusTurnCalls(50);
    const large = await statusTurnCalls(500);
    expect(large).toEqual(small);
    expect(large.bot.length + large.service.length).toBeLessThanOrEqual(4);
  });
});
