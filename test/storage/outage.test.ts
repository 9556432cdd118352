/**
 * A storage outage end to end: the runtime service and the bot on Blob storage (Azurite), the
 * server stopped mid-way. The service answers a change 503 with Retry-After (never 500), the bot
 * says so in words, nothing internal reaches either client, and once Azurite is back on the same data folder
 * and port every record is there and the work carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage';
import { type Azurite, startAzurite } from '../helpers/azurite';
import { ACTORS, automatic, sendRequest } from '../helpers/service';
import { type Stack, startStack } from '../helpers/stack';

let azurite: Azurite;
let stack: Stack;

beforeAll(async () => {
  azurite = await startAzurite();
  const open = (area: 'bot' | 'service') =>
    createStorage(
      {
        storage: 'blob',
        dataDir: '/nowhere',
        blob: { connectionString: azurite.connectionString, container: 'state' },
      },
      area,
      { callTimeoutMs: 3000, retry: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 100 } },
    );
  stack = await startStack({ storage: { bot: await open('bot'), service: await open('service') } });
});

afterAll(async () => {
  await stack?.close();
  await azurite?.dispose();
});

const call = (method: string, path: string, body?: unknown) =>
  sendRequest(stack.serviceUrl, method, path, { actor: ACTORS.alex, ...(body ? { body } : {}) });

/** What the bot sent for one message: texts and cards, as JSON text. */
async function botAnswer(text: string): Promise<string> {
  const before = stack.connector.calls.length;
  const { status } = await stack.say(text);
  expect(status).toBeLessThan(500);
  return JSON.stringify(stack.connector.calls.slice(before).map((c) => c.activity));
}

/** Words that would tell a user about our insides. */
const INTERNALS = /ECONNREFUSED|127\.0\.0\.1|devstoreaccount|blob|azurite|stack|Error:/i;

describe('a storage outage', () => {
  it('should answer 503 with Retry-After and a plain sentence while storage is away, and lose nothing', async () => {
    expect((await call('PUT', '/v1/runtimes/before-outage', automatic())).status).toBe(202);
    const before = await call('GET', '/v1/runtimes/before-outage');
    expect(before.status).toBe(200);
    expect(await botAnswer('status before-outage')).toContain('before-outage');

    await azurite.stop();
    try {
      // Reads come from the read model's memory. This stack follows no log (its workers are driven
      // by hand), so nothing bounds their lag here; a service that follows the log answers them 503
      // once it could not look at it for a few seconds (test/service/readModel/readModel.test.ts).
      expect((await call('GET', '/v1/runtimes/before-outage')).status).toBe(200);
      for (const [method, path, body] of [
        ['PUT', '/v1/runtimes/during-outage', automatic()],
        ['GET', '/readyz', undefined],
      ] as const) {
        const res = await call(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(503);
        if (path === '/readyz') {
          expect(res.json.storage.ok).toBe(false);
          continue;
        }
        expect(Number(res.headers.get('retry-after')), `${method} ${path}`).toBeGreaterThan(0);
        expect(res.json).toMatchObject({ status: 503, code: 'storage_unavailable' });
        expect(res.text).not.toMatch(INTERNALS);
      }
      // The service's own work waits for storage too, without crashing the process.
      await stack.advance(60_000).catch(() => undefined);

      const { status, replies } = await stack.say('stop before-outage'); // the bot must write to take it
      expect(status).toBeLessThan(500);
      expect(replies).toEqual(["I can't reach my storage right now. Please try again in a minute."]);
    } finally {
      await azurite.restart();
    }

    // Everything written before the outage is there, and the work carries on.
    const after = await call('GET', '/v1/runtimes/before-outage');
    expect(after.status).toBe(200);
    expect(after.json.createdOn).toBe(before.json.createdOn);
    expect((await call('GET', '/v1/runtimes/during-outage')).status).toBe(404); // refused, so not half-made
    expect((await call('PUT', '/v1/runtimes/during-outage', automatic())).status).toBe(202);
    await stack.settle();
    for (const name of ['before-outage', 'during-outage'])
      expect((await call('GET', `/v1/runtimes/${name}`)).json.status, name).toBe('Running');
    expect(await botAnswer('status before-outage')).toMatch(/before-outage.*Running/);
  });
});
