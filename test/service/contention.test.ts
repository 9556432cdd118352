/**
 * When a change keeps losing the race for its runtime's record, the service gives up with 503,
 * Retry-After and a problem body that says the request changed nothing, never 500, and starts
 * nothing; the same request succeeds once the contention is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { EtagConflictError, IF_NONE_MATCH, type StoreItems } from '../../src/storage/storage';
import { ACTORS, createRunning, startTestService, type TestService } from '../helpers/service';

/** Every replace of a runtime record loses, as if other writers always got there first. */
class ContendedRuntimes extends MemoryStorage {
  contended = true;
  override async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const replace = item.eTag && item.eTag !== IF_NONE_MATCH && item.eTag !== '*';
      if (this.contended && replace && key.startsWith('runtimes/')) throw new EtagConflictError(key);
    }
    return super.write(changes);
  }
}

let s: TestService | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('contention on a runtime record', () => {
  it('should answer 503 with Retry-After and a problem body, and start nothing', async () => {
    const storage = new ContendedRuntimes();
    storage.contended = false;
    s = await startTestService({ storage });
    await createRunning(s, 'hot-rt');
    storage.contended = true;
    const before = (await s.app.engine.operations.all()).length;

    const res = await s.request('POST', '/v1/runtimes/hot-rt/reset', {
      actor: ACTORS.alex,
      headers: { 'idempotency-key': 'reset-hot-1' },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json).toMatchObject({
      status: 503,
      code: 'overloaded',
      detail: expect.stringContaining('nothing was changed'),
    });
    expect(res.text).not.toMatch(/runtimes\/|contention on|Error:/);
    expect(await s.app.engine.operations.all()).toHaveLength(before);
    const logged = s.logs.map((line) => JSON.parse(line)).filter((r) => r.status === 503);
    expect(logged).toMatchObject([
      { level: 'warn', msg: 'request refused for now', path: '/v1/runtimes/hot-rt/reset' },
    ]);
    expect(logged[0].error).toBeUndefined(); // expected, so no stack trace

    // The client does what Retry-After says, with the same key: now it goes through.
    storage.contended = false;
    const retry = await s.request('POST', '/v1/runtimes/hot-rt/reset', {
      actor: ACTORS.alex,
      headers: { 'idempotency-key': 'reset-hot-1' },
    });
    expect(retry.status).toBe(202);
    expect(retry.json).toMatchObject({ kind: 'reset', runtimeName: 'hot-rt' });
  });
});
