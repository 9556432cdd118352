/**
 * The registry client and the watcher's backoff against a loopback registry that follows the OCI
 * distribution spec (distribution 2.8 does not paginate, so the real one cannot test this): `n`,
 * relative and absolute `Link` headers, loops, endless lists, 429 with Retry-After, 503, 401, hangs.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { EventLog } from '../../../src/service/events/eventLog';
import { parseRetryAfter } from '../../../src/infra/retry';
import * as oci from '../../../src/service/versions/ociTags';
import { RegistryWatcher, type RegistryWatcherOptions } from '../../../src/service/versions/registryWatcher';
import { VersionStore } from '../../../src/service/versions/versionStore';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { type OciTestRegistry, startOciTestRegistry } from '../../helpers/ociRegistry';

const ROOT = path.resolve(__dirname, '../../..');
const REPO = 'azureml/promptflow/promptflow-runtime-stable';
/** Newer than anything in the catalogue, so each is a new version. */
const fresh = (count: number) => Array.from({ length: count }, (_, i) => `20270101.v${i + 1}`);

let registry: OciTestRegistry;
beforeEach(async () => {
  registry = await startOciTestRegistry(REPO);
});
afterEach(async () => {
  await registry.close();
});

const list = (extra: Partial<oci.OciTagsOptions> = {}) =>
  oci.listOciTags({ registryUrl: registry.url, repository: REPO, ...extra });

async function rejection(promise: Promise<unknown>): Promise<oci.RegistryError> {
  const error: unknown = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(oci.RegistryError);
  return error as oci.RegistryError;
}

describe('OCI tags list pagination', () => {
  it('asks for n and follows relative Link headers until the list ends', async () => {
    registry.tags = [...fresh(10), 'latest'];
    const tags = await list({ pageSize: 3 });
    expect(tags.sort()).toEqual([...registry.tags].sort());
    expect(registry.requests).toHaveLength(4);
    expect(registry.requests[0]).toBe(`/v2/${REPO}/tags/list?n=3`);
    expect(registry.requests[1]).toContain('last=');
  });

  it('follows an absolute Link on the same registry, and refuses one to another host', async () => {
    registry.pagination = 'absolute';
    registry.tags = fresh(5);
    expect((await list({ pageSize: 2 })).sort()).toEqual([...registry.tags].sort());
    expect(registry.requests).toHaveLength(3);
    registry.pagination = 'offsite';
    const error = await rejection(list({ pageSize: 2 }));
    expect(error).toMatchObject({ message: expect.stringMatching(/another host/), retryable: false });
    expect(registry.requests).toHaveLength(4);
  });

  it('stops a Link loop after one round', async () => {
    registry.pagination = 'loop';
    registry.tags = fresh(5);
    const error = await rejection(list({ pageSize: 2 }));
    expect(error.message).toMatch(/loops/);
    expect(registry.requests.length).toBeLessThanOrEqual(2);
  });

  it('stops an endless list at maxPages', async () => {
    registry.pagination = 'endless';
    registry.tags = fresh(5);
    const error = await rejection(list({ pageSize: 2, maxPages: 7 }));
    expect(error.message).toMatch(/more than 7 pages/);
    expect(registry.requests).toHaveLength(7);
  });

  it('reads `"tags": null` as an empty repository and rejects answers without a list', async () => {
    registry.inject.push({ status: 200, body: JSON.stringify({ name: REPO, tags: null }) });
    expect(await list()).toEqual([]);
    registry.inject.push({ status: 200, body: JSON.stringify({ name: REPO, tags: [1, 2] }) });
    expect((await rejection(list())).message).toMatch(/without a list of tags/);
    registry.inject.push({ status: 200, body: '<html>' });
    expect((await rejection(list())).message).toMatch(/not JSON/);
  });

  it('turns 429, 503, 401 and 404 into errors that say whether to retry', async () => {
    registry.inject.push({ status: 429, headers: { 'retry-after': '7' } });
    expect(await rejection(list())).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
    registry.inject.push({ status: 503 });
    expect(await rejection(list())).toMatchObject({ status: 503, retryable: true });
    registry.inject.push({ status: 401, body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'x' }] }) });
    const unauthorized = await rejection(list());
    expect(unauthorized).toMatchObject({ status: 401, retryable: false });
    expect(unauthorized.message).toMatch(/401 UNAUTHORIZED.*credentials/);
    const missing = await rejection(oci.listOciTags({ registryUrl: registry.url, repository: 'no/such' }));
    expect(missing).toMatchObject({ status: 404, retryable: false });
  });

  it('gives up on a registry that does not answer, after the timeout', async () => {
    registry.inject.push({ hang: true });
    const started = Date.now();
    const error = await rejection(list({ timeoutMs: 300 }));
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('parses Link headers and Retry-After values', () => {
    expect(oci.nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe('/v2/a/tags/list?n=2&last=b');
    expect(oci.nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next')).toBe('https://x/next');
    expect(oci.nextLink('<https://x/a>; rel="first next"')).toBe('https://x/a');
    expect(oci.nextLink('<https://x/a>; rel="prev"')).toBeUndefined();
    expect(oci.nextLink(null)).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('registry watcher over a paginated registry', () => {
  const make = (extra: Partial<RegistryWatcherOptions> = {}) => {
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const events = new EventLog(storage, clock);
    const versions = new VersionStore(
      storage,
      path.join(ROOT, 'catalogue/promptflow-runtime-stable.json'),
      clock,
      events,
    );
    const logs: string[] = [];
    const log = createLogger('debug', {}, (line) => logs.push(line));
    const watcher = new RegistryWatcher(storage, versions, clock, log, {
      registryUrl: registry.url,
      repository: REPO,
      pollMs: 60_000,
      backoffBaseMs: 1000,
      maxBackoffMs: 16_000,
      random: () => 1,
      pageSize: 2,
      ...extra,
    });
    const released = async () => {
      await events.settled();
      return (await events.after(undefined)).filter((e) => e.type === 'image.released').map((e) => e.data);
    };
    return { clock, watcher, versions, logs, released };
  };

  it('seeds from every page, then publishes new tags oldest first', async () => {
    const { watcher, versions, released } = make();
    registry.tags = ['20240429.v8', '20240429.v10', 'latest', ...fresh(3)];
    expect(await watcher.pollOnce()).toMatchObject({ ok: true, seeded: true, published: [] });
    expect(await versions.latest()).toBe('20270101.v3');
    expect(await released()).toEqual([]);
    registry.tags.push('20270102.v10', '20270102.v9', '20270102', '20240101.v9');
    expect(await watcher.pollOnce()).toMatchObject({
      ok: true,
      seeded: false,
      published: ['20240101.v9', '20270102.v9', '20270102.v10'],
    });
    // Each event says whether its tag was the latest when it was published.
    expect(await released()).toEqual([
      expect.objectContaining({ tag: '20240101.v9', isLatest: false, previousLatest: '20270101.v3' }),
      expect.objectContaining({ tag: '20270102.v9', isLatest: true, previousLatest: '20270101.v3' }),
      expect.objectContaining({ tag: '20270102.v10', isLatest: true, previousLatest: '20270102.v9' }),
    ]);
  });

  it('imports known tags once per source, without events, so a late seeder cannot swallow a new tag', async () => {
    const { versions, released } = make();
    const actor = { objectId: 'system', name: 'test' };
    const first = await versions.importKnown(['20240429.v8', '20270101.v1', 'latest'], actor, 'reg/a');
    expect(first).toEqual({ added: ['20270101.v1'], alreadyImported: false });
    await versions.publish('20270101.v2', undefined, actor);
    // A replica that read "not seeded" before the first import finished tries to seed again.
    const late = await versions.importKnown(['20270101.v1', '20270101.v2', '20270101.v3'], actor, 'reg/a');
    expect(late).toEqual({ added: [], alreadyImported: true });
    expect(await versions.has('20270101.v3')).toBe(false);
    expect((await released()).map((e) => e.tag)).toEqual(['20270101.v2']);
    expect(await versions.importKnown(['20270101.v3'], actor, 'reg/b')).toEqual({
      added: ['20270101.v3'],
      alreadyImported: false,
    });
  });

  it('honours Retry-After on 429, then polls again when it has passed', async () => {
    const { clock, watcher, logs, released } = make();
    registry.tags = fresh(2);
    registry.inject.push({ status: 429, headers: { 'retry-after': '9' } });
    expect(await watcher.tick()).toBe(true);
    expect((await watcher.state())?.nextPollAt).toBe(clock.now() + 9000);
    expect(logs.some((l) => /"level":"warn".*backing off.*429/.test(l))).toBe(true);
    clock.advance(8999);
    expect(await watcher.tick()).toBe(false);
    expect(registry.requests).toHaveLength(1);
    clock.advance(1);
    expect(await watcher.tick()).toBe(true);
    expect(await watcher.state()).toMatchObject({ seeded: true, consecutiveFailures: 0 });
    expect(await released()).toEqual([]);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const { clock, watcher } = make();
    registry.inject.push({ status: 503, headers: { 'retry-after': new Date(clock.now() + 12_000).toUTCString() } });
    expect(await watcher.pollOnce()).toMatchObject({ ok: false, retryInMs: 12_000 });
  });

  it('backs off exponentially on 503 up to the cap, and a success resets it', async () => {
    const { clock, watcher } = make();
    registry.tags = fresh(1);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      registry.inject.push({ status: 503 });
      const result = await watcher.pollOnce();
      if (!result.ok) delays.push(result.retryInMs);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000, 16_000]);
    expect(await watcher.state()).toMatchObject({ consecutiveFailures: 7, lastError: { status: 503 } });
    clock.advance(16_000);
    expect(await watcher.tick()).toBe(true);
    expect(await watcher.state()).toMatchObject({ consecutiveFailures: 0, nextPollAt: clock.now() + 60_000 });
  });

  it('jitters the backoff between half and all of the exponential delay', async () => {
    const { watcher } = make({ random: () => 0 });
    registry.inject.push({ status: 502 }, { status: 502 });
    expect(await watcher.pollOnce()).toMatchObject({ ok: false, retryInMs: 500 });
    expect(await watcher.pollOnce()).toMatchObject({ ok: false, retryInMs: 1000 });
  });

  it('logs a clear error on 401 and keeps going', async () => {
    const { watcher, logs } = make();
    registry.inject.push({ status: 401, headers: { 'www-authenticate': 'Bearer realm="x"' } });
    expect(await watcher.pollOnce()).toMatchObject({ ok: false });
    const line = logs.find((l) => l.includes('"level":"error"'));
    expect(line).toMatch(/registry poll failed.*401.*credentials/);
    registry.tags = fresh(1);
    expect(await watcher.pollOnce()).toMatchObject({ ok: true, seeded: true });
  });

  it('a Link loop fails the poll without importing a partial list', async () => {
    const { watcher, versions } = make();
    registry.pagination = 'loop';
    registry.tags = fresh(5);
    expect(await watcher.pollOnce()).toMatchObject({ ok: false, error: expect.stringMatching(/loops/) });
    expect(await versions.has('20270101.v1')).toBe(false);
    expect(await watcher.state()).toMatchObject({ seeded: false, consecutiveFailures: 1 });
  });
});
