import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../../src/domain/runtime';
import { FileStorage } from '../../src/storage/fileStorage';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { IDEMPOTENCY_TTL_MS } from '../../src/service/operations/engine';
import type { Storage } from '../../src/storage/storage';
import { CountingStorage } from '../helpers/countingStorage';
import {
  ACTORS,
  advance,
  automatic,
  createRunning,
  startTestService,
  type TestService,
  TIMINGS,
} from '../helpers/service';

// Memory storage settles in microtasks; file storage really interleaves concurrent requests.
const backends: [string, (dir: string) => Storage][] = [
  ['MemoryStorage', () => new MemoryStorage()],
  ['FileStorage', (dir) => new FileStorage(dir)],
];

describe.each(backends)('Idempotency-Key on %s', (_name, makeStorage) => {
  let s: TestService;
  let dir: string;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'idempotency-'));
    s = await startTestService({ storage: makeStorage(dir) });
  });

  afterEach(async () => {
    await s.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const put = (name: string, body: object, key?: string, actor: Person = ACTORS.alex) =>
    s.request('PUT', `/v1/runtimes/${name}`, { actor, body, headers: key ? { 'idempotency-key': key } : {} });
  const operationCount = async () => (await s.app.engine.operations.ids()).length;

  it('should answer a retry with the first operation, marked as replayed', async () => {
    const first = await put('idem-rt', automatic(), 'key-1');
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const retry = await put('idem-rt', automatic(), 'key-1');
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.id).toBe(first.json.id);
    expect(retry.headers.get('operation-location')).toBe(`/v1/operations/${first.json.id}`);
    expect(await operationCount()).toBe(1);
  });

  it('should replay with the operation’s current state after it ended', async () => {
    const first = await put('idem-rt', automatic(), 'key-2');
    await advance(s, TIMINGS.startMs);
    const retry = await put('idem-rt', automatic(), 'key-2');
    expect(retry.status).toBe(202);
    expect(retry.json).toMatchObject({ id: first.json.id, status: 'Succeeded' });
    expect(await operationCount()).toBe(1);
  });

  it('should take a retry that spells the runtime name in another case as the same request', async () => {
    const first = await put('idem-rt', automatic(), 'key-3');
    const retry = await put('IDEM-RT', automatic(), 'key-3');
    expect(retry.status).toBe(202);
    expect(retry.json.id).toBe(first.json.id);
  });

  it('should answer 422 for the same key with a different body, and change nothing', async () => {
    const first = await put('idem-rt', automatic(), 'key-4');
    const other = await put('idem-rt', automatic({ idleTimeMinutes: 120 }), 'key-4');
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: 'idempotency_key_reused', operationId: first.json.id });
    expect(other.json.detail).toMatch(/already used for a different request/);
    const elsewhere = await put('idem-rt-2', automatic(), 'key-4');
    expect(elsewhere.status).toBe(422);
    expect(await operationCount()).toBe(1);
    expect((await s.request('GET', '/v1/runtimes/idem-rt-2')).status).toBe(404);
  });

  it('should run one operation for 10 concurrent PUTs with one key, all answered 202 with its id', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => put('idem-rt', automatic(), 'key-5')));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await operationCount()).toBe(1);
  });

  it('should run one operation for 10 concurrent actions with one key', async () => {
    await createRunning(s, 'idem-rt');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.request('POST', '/v1/runtimes/idem-rt/install', {
          actor: ACTORS.alex,
          body: { requirements: 'numpy' },
          headers: { 'idempotency-key': 'key-6' },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    expect((await s.app.engine.operations.all()).filter((op) => op.kind === 'install')).toHaveLength(1);
  });

  it('should treat the same key from another acting user as another request', async () => {
    const alex = await put('idem-rt', automatic(), 'shared-key');
    // Megan's identical request is hers, not a retry of Alex's: the name is taken.
    const megan = await put('idem-rt', automatic(), 'shared-key', ACTORS.megan);
    expect(megan.status).toBe(409);
    expect(megan.headers.get('idempotent-replayed')).toBeNull();
    // And a different body under her key is no reuse of his.
    const hers = await put('megan-rt', automatic({ idleTimeMinutes: 30 }), 'shared-key', ACTORS.megan);
    expect(hers.status).toBe(202);
    expect(hers.json.id).not.toBe(alex.json.id);
    expect(hers.json.requestedBy).toEqual(ACTORS.megan);
    expect(await operationCount()).toBe(2);
  });

  it('should let a key be used again after its request was refused', async () => {
    const refused = await put('idem-rt', automatic({ vmSize: 'Standard_NC24ads_A100_v4' }), 'key-7');
    expect(refused.status).toBe(422);
    const fixed = await put('idem-rt', automatic(), 'key-7');
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('should not let a replay slip past a change that is running: without the key it is busy', async () => {
    await put('idem-rt', automatic(), 'key-8');
    const fresh = await put('idem-rt', automatic());
    expect(fresh.status).toBe(409);
  });

  it.each([
    ['that is too long', 'k'.repeat(201)],
    ['with a space', 'my key'],
    ['that is not ASCII', 'clé'],
  ])('should answer 400 for a key %s', async (_case, key) => {
    const res = await s.request('PUT', '/v1/runtimes/idem-rt', {
      actor: ACTORS.alex,
      body: automatic(),
      headers: { 'idempotency-key': encodeHeader(key) },
    });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/Idempotency-Key must be 1 to 200 visible ASCII characters/);
    expect(await operationCount()).toBe(0);
  });
});

/** Header values are bytes: send non-ASCII text as its UTF-8 bytes, the way a careless client would. */
function encodeHeader(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

describe('Idempotency records expire', () => {
  let s: TestService;
  afterEach(async () => s.close());

  it('should delete records older than a day on the sweep, at most once an hour, and keep younger ones', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    s = await startTestService({ storage });
    const put = (name: string, key: string) =>
      s.request('PUT', `/v1/runtimes/${name}`, {
        actor: ACTORS.alex,
        body: automatic(),
        headers: { 'idempotency-key': key },
      });
    expect((await put('old-rt', 'key-old')).status).toBe(202);
    await s.app.engine.sweep(); // the first sweep looks at once: nothing is a day old
    expect(await storage.inner.list('idempotency/')).toHaveLength(1);
    s.clock.advance(IDEMPOTENCY_TTL_MS - 60 * 60_000);
    expect((await put('young-rt', 'key-young')).status).toBe(202);
    s.clock.advance(2 * 60 * 60_000); // the first record is now older than a day
    storage.reset();
    await s.app.engine.sweep();
    expect(await storage.inner.list('idempotency/')).toHaveLength(1);
    expect(storage.count('list', 'idempotency/')).toBe(1);
    storage.reset();
    s.clock.advance(10 * 60_000);
    await s.app.engine.sweep();
    expect(storage.count('list', 'idempotency/')).toBe(0); // not again within the hour
    // The young key still replays; the expired one no longer does.
    expect((await put('young-rt', 'key-young')).headers.get('idempotent-replayed')).toBe('true');
    const again = await put('old-rt', 'key-old');
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});
