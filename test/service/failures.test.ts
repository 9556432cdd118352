/**
 * The service's own failures (storage errors, a step that throws): a generic 500 or 503 for the
 * client, the cause in the log, and retries for a step that fails now and then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage, StoreItems } from '../../src/storage/storage';
import { ACTORS, advance, automatic, startTestService, type TestService, TIMINGS } from '../helpers/service';

/** MemoryStorage with switchable faults. */
class FaultyStorage implements Storage {
  private readonly inner = new MemoryStorage();
  /** Keys whose next N reads fail. */
  failReads = new Map<string, number>();
  /** Keys whose reads fail until this is cleared. */
  failReadsOf?: (key: string) => boolean;
  health: Storage['health'] = () => this.inner.health();

  async read(keys: string[]): Promise<StoreItems> {
    for (const key of keys) {
      if (this.failReadsOf?.(key)) throw new Error(`EIO: disk on fire reading ${key}`);
      const left = this.failReads.get(key) ?? 0;
      if (left > 0) {
        this.failReads.set(key, left - 1);
        throw new Error(`EIO: disk on fire reading ${key}`);
      }
    }
    return this.inner.read(keys);
  }
  write(changes: StoreItems): Promise<void> {
    return this.inner.write(changes);
  }
  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

let s: TestService;

afterEach(async () => {
  await s?.close();
});

describe('failures of the service itself', () => {
  // Runtime reads come from the read model, in memory; an operation is read from storage.
  const OPERATION = '/v1/operations/00000000-0000-4000-8000-000000000001';

  it('should answer a storage failure with a generic 500 and log its cause', async () => {
    const storage = new FaultyStorage();
    s = await startTestService({ storage });
    storage.failReadsOf = (key) => key.startsWith('operations/');
    const res = await s.request('GET', OPERATION);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({
      code: 'internal',
      detail: 'The runtime service hit an unexpected error. It has been logged; try again.',
    });
    expect(res.text).not.toContain('disk on fire'); // no internals for the client
    const logged = s.logs
      .map((line) => JSON.parse(line))
      .filter((r) => r.level === 'error' && r.msg === 'request failed');
    expect(logged).toHaveLength(1);
    // "It has been logged": the log must say what failed, or nobody can act on it.
    expect(logged[0].error).toMatchObject({
      message: 'EIO: disk on fire reading operations/00000000-0000-4000-8000-000000000001',
      stack: expect.stringContaining('FaultyStorage'),
    });
  });

  it.each([
    ['the client sent', { 'x-request-id': 'trace-abc-123' }],
    ['the service made up', {}],
  ])('should log a failed request under the X-Request-Id %s', async (_case, headers) => {
    const storage = new FaultyStorage();
    s = await startTestService({ storage });
    storage.failReadsOf = (key) => key.startsWith('operations/');
    const res = await s.request('GET', OPERATION, { headers });
    expect(res.status).toBe(500);
    const given = res.headers.get('x-request-id');
    expect(given).toBe((headers as Record<string, string>)['x-request-id'] ?? given);
    const logged = s.logs.map((line) => JSON.parse(line)).filter((r) => r.msg === 'request failed');
    expect(logged.map((r) => r.requestId)).toEqual([given]);
  });

  it.each([
    [
      'reports it is not ok',
      async () => ({ ok: false, detail: 'file storage at /data is not writable: EACCES' }),
      'file storage at /data is not writable: EACCES',
    ],
    [
      'throws',
      async () => {
        throw new Error('health probe timed out');
      },
      'health probe timed out',
    ],
  ])('should answer /readyz with 503 degraded when storage %s', async (_case, health, detail) => {
    const storage = new FaultyStorage();
    s = await startTestService({ storage });
    storage.health = health;
    const res = await s.request('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.json).toEqual({
      status: 'degraded',
      provider: { name: 'local', ok: true, detail: 'local emulator' },
      storage: { ok: false, detail },
    });
    expect((await s.request('GET', '/healthz')).status).toBe(200); // alive, just not ready
  });

  it('should retry a step that failed unexpectedly, then finish it', async () => {
    const storage = new FaultyStorage();
    s = await startTestService({ storage });
    const created = await s.request('PUT', '/v1/runtimes/flaky-rt', { actor: ACTORS.alex, body: automatic() });
    expect(created.status).toBe(202);
    storage.failReads.set('runtimes/flaky-rt', 3); // the next three steps cannot read the runtime
    await advance(s, TIMINGS.startMs);
    let op = (await s.request('GET', `/v1/operations/${created.json.id}`)).json;
    expect(op.status).toBe('Running');
    expect(op.steps.at(-1).message).toBe('Retrying after an error (attempt 1)');
    for (let i = 0; i < 10 && op.status === 'Running'; i++) {
      await advance(s, 1000);
      op = (await s.request('GET', `/v1/operations/${created.json.id}`)).json;
    }
    expect(op.status).toBe('Succeeded');
    expect(op.steps.map((step: { message: string }) => step.message)).toEqual([
      'Accepted',
      'Starting flaky-rt on Standard_E4ds_v4',
      'Retrying after an error (attempt 1)',
      'Retrying after an error (attempt 2)',
      'Retrying after an error (attempt 3)',
      'flaky-rt is running',
    ]);
    // Backoff: 1 s, 2 s, 4 s after the first failure.
    expect(Date.parse(op.endedOn) - Date.parse(op.createdOn)).toBe(TIMINGS.startMs + 7000);
    expect((await s.request('GET', '/v1/runtimes/flaky-rt')).json.status).toBe('Running');
  });
});
