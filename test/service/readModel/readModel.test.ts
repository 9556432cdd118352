/**
 * The read model behind every read of the service: its own writes at once, other replicas' writes
 * after one round of tailing the event log, a cold start that reads storage once, and the writes
 * whose event does not say everything (a lock released after `operation.completed`, leftovers of a
 * crash that no event announces).
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, iso, systemClock } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../../src/service/app';
import type { RuntimeRecord } from '../../../src/service/model';
import { localTimings } from '../../../src/service/providers/local/localProvider';
import { Collection } from '../../../src/storage/collection';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { type Storage, StorageUnavailableError, type StoreItems } from '../../../src/storage/storage';
import { CountingStorage } from '../../helpers/countingStorage';
import {
  ACTORS,
  automatic,
  createRunning,
  sendRequest,
  serviceConfig,
  startTestService,
  type TestService,
} from '../../helpers/service';

const services: TestService[] = [];
const apps: RuntimeServiceApp[] = [];
const tmpDirs: string[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  for (const app of apps.splice(0)) {
    app.server.server.closeAllConnections();
    await app.stop();
  }
  await Promise.all(tmpDirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

async function tmpDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'read-model-'));
  tmpDirs.push(dir);
  return dir;
}

async function start(options: Parameters<typeof startTestService>[0]): Promise<TestService> {
  const s = await startTestService(options);
  services.push(s);
  return s;
}

/** Two replicas: two apps, each with its own FileStorage on one folder, and one clock. */
async function twoReplicas(): Promise<{ a: TestService; b: TestService; dir: string }> {
  const dir = await tmpDir();
  const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
  const a = await start({ storage: new FileStorage(dir), clock });
  const b = await start({ storage: new FileStorage(dir), clock });
  return { a, b, dir };
}

function record(name: string, extra: Partial<RuntimeRecord> = {}): RuntimeRecord {
  return {
    name,
    type: 'automatic',
    status: 'Running',
    owner: ACTORS.alex,
    vmSize: 'Standard_E4ds_v4',
    idleTimeMinutes: 60,
    createdOn: '2026-11-20T09:00:00.000Z',
    modifiedOn: '2026-11-20T09:00:00.000Z',
    ...extra,
  } as RuntimeRecord;
}

describe('the read model', () => {
  it("should show a replica's own change at once, and another's after one round of tailing", async () => {
    const { a, b } = await twoReplicas();
    await createRunning(a, 'rm-one');
    const seenByA = await a.request('GET', '/v1/runtimes/rm-one');
    expect(seenByA.json.status).toBe('Running');

    // B answers from memory: until it reads the event log, it does not know the runtime.
    expect((await b.request('GET', '/v1/runtimes/rm-one')).status).toBe(404);
    expect((await b.request('GET', '/v1/summary')).json.total).toBe(0);

    await a.app.events.settled(); // A's events are numbered a moment after they are appended
    expect(await b.app.readModel.catchUp()).toBeGreaterThan(0);
    const seenByB = await b.request('GET', '/v1/runtimes/rm-one');
    expect(seenByB.json).toEqual(seenByA.json);
    expect(seenByB.headers.get('etag')).toBe(seenByA.headers.get('etag'));
    expect((await b.request('GET', '/v1/summary')).json.total).toBe(1);

    // A stop through B: B at once, A after its next round.
    expect((await b.request('POST', '/v1/runtimes/rm-one/stop', { actor: ACTORS.alex })).status).toBe(202);
    expect((await b.request('GET', '/v1/runtimes/rm-one')).json.status).toBe('Stopping');
    expect((await a.request('GET', '/v1/runtimes/rm-one')).json.status).toBe('Running');
    await b.app.events.settled();
    await a.app.readModel.catchUp();
    expect((await a.request('GET', '/v1/runtimes/rm-one')).json.status).toBe('Stopping');
  });

  it('should follow another replica on its own timer, within the tail interval', async () => {
    const dir = await tmpDir();
    const replica = async () => {
      const app = createRuntimeServiceApp({
        config: serviceConfig({ durationScale: 0 }),
        storage: new FileStorage(dir),
        log: createLogger('silent'),
        clock: systemClock,
        timings: localTimings(0),
        events: { tailPollMs: 50, busyPollMs: 50 },
      });
      apps.push(app);
      return { app, url: await app.start() };
    };
    const [a, b] = [await replica(), await replica()];
    const put = await sendRequest(a.url, 'PUT', '/v1/runtimes/rm-timer', { actor: ACTORS.alex, body: automatic() });
    expect(put.status).toBe(202);
    // No hand-driven tailing here: B's tail of the log must bring the change.
    await expect
      .poll(async () => (await sendRequest(b.url, 'GET', '/v1/runtimes/rm-timer')).json?.status, {
        interval: 25,
        timeout: 5_000,
      })
      .toBe('Running');
  });

  it('should read storage once at a cold start, and not at all to answer reads', async () => {
    const inner = new MemoryStorage();
    const seeded = new Collection<RuntimeRecord>(inner, 'runtimes');
    for (let i = 0; i < 120; i++) await seeded.create(`rt-${i}`, record(`rt-${i}`));
    const storage = new CountingStorage(inner);
    const s = await start({ storage });
    expect(storage.lines().filter((l) => l.startsWith('list runtimes/'))).toHaveLength(1);
    expect(storage.lines().filter((l) => l.startsWith('read runtimes/'))).toHaveLength(120);

    storage.reset();
    expect((await s.request('GET', '/v1/summary')).json.total).toBe(120);
    expect((await s.request('GET', '/v1/runtimes?pageSize=7&status=running')).json.value).toHaveLength(7);
    expect((await s.request('GET', '/v1/runtimes/rt-7')).status).toBe(200);
    expect((await s.request('GET', '/v1/runtimes/rt-7/version')).status).toBe(200);
    expect((await s.request('GET', '/v1/versions')).status).toBe(200);
    expect(storage.lines()).toEqual([]);
  });

  it('should show the lock released when the release comes after the operation.completed event', async () => {
    const { a, b } = await twoReplicas();
    const raw = new Collection<RuntimeRecord>(b.storage, 'runtimes');
    const lock = {
      id: '7e0b6c2e-0000-4000-8000-000000000001',
      kind: 'install' as const,
      status: 'Running' as const,
      requestedBy: ACTORS.alex,
      createdOn: iso(a.clock.now()),
    };
    // What B can read between A's append of operation.completed and A's release of the lock.
    await raw.create('rm-late', record('rm-late', { activeOperation: lock }));
    await a.app.events.append('operation.completed', {
      operation: { ...lock, status: 'Succeeded', endedOn: iso(a.clock.now()) },
      runtimeName: 'rm-late',
    });
    await a.app.events.settled();
    await b.app.readModel.catchUp();
    expect((await b.request('GET', '/v1/runtimes/rm-late')).json.activeOperation).toMatchObject({ id: lock.id });

    // The release, with no event of its own: B looks again on its next round.
    const current = (await raw.get('rm-late'))!;
    const { eTag: _e, activeOperation: _a, ...released } = current;
    await raw.replace('rm-late', released as RuntimeRecord, current.eTag);
    expect(await b.app.readModel.catchUp()).toBe(0);
    const seen = (await b.request('GET', '/v1/runtimes/rm-late')).json;
    expect(seen.status).toBe('Running');
    expect(seen.activeOperation).toBeUndefined();
  });

  it('should see the release of a lock a crash left behind when its own sweep repairs it', async () => {
    const { a, b } = await twoReplicas();
    const raw = new Collection<RuntimeRecord>(a.storage, 'runtimes');
    const orphan = {
      id: '7e0b6c2e-0000-4000-8000-000000000002', // its operation was never written
      kind: 'update' as const,
      status: 'Running' as const,
      requestedBy: ACTORS.alex,
      createdOn: iso(a.clock.now()),
    };
    await raw.create('rm-orphan', record('rm-orphan', { activeOperation: orphan }));
    await Promise.all([a.app.readModel.catchUp(), b.app.readModel.catchUp()]);
    // Written without an event: neither replica knows of it until something reads it again.
    expect((await b.request('GET', '/v1/runtimes/rm-orphan')).status).toBe(404);
    await a.app.readModel.refresh(['rm-orphan']);
    await b.app.readModel.refresh(['rm-orphan']);

    a.clock.advance(31_000);
    await a.app.engine.sweep(); // A repairs: releases the lock, announcing nothing
    expect((await a.request('GET', '/v1/runtimes/rm-orphan')).json.activeOperation).toBeUndefined();
    expect((await b.request('GET', '/v1/runtimes/rm-orphan')).json.activeOperation).toMatchObject({ id: orphan.id });
    await b.app.engine.sweep(); // B's sweep reads the old locks it shows again
    expect((await b.request('GET', '/v1/runtimes/rm-orphan')).json.activeOperation).toBeUndefined();
  });

  it('should give the stored ETag again after an If-Match it gave out is refused', async () => {
    const { a, b } = await twoReplicas();
    await createRunning(a, 'rm-etag');
    await a.app.events.settled();
    await b.app.readModel.catchUp();
    const stale = (await b.request('GET', '/v1/runtimes/rm-etag')).headers.get('etag')!;
    // A change no event announces (a crash between a write and its event).
    const raw = new Collection<RuntimeRecord>(a.storage, 'runtimes');
    const current = (await raw.get('rm-etag'))!;
    const { eTag, ...body } = current;
    await raw.replace('rm-etag', { ...body, description: 'changed behind its back' } as RuntimeRecord, eTag);

    const refused = await b.request('PATCH', '/v1/runtimes/rm-etag', {
      actor: ACTORS.alex,
      body: { idleTimeMinutes: 90 },
      headers: { 'if-match': stale },
    });
    expect(refused.status).toBe(412);
    const fresh = await b.request('GET', '/v1/runtimes/rm-etag');
    expect(fresh.headers.get('etag')).not.toBe(stale);
    expect(fresh.json.description).toBe('changed behind its back');
    const accepted = await b.request('PATCH', '/v1/runtimes/rm-etag', {
      actor: ACTORS.alex,
      body: { idleTimeMinutes: 90 },
      headers: { 'if-match': fresh.headers.get('etag')! },
    });
    expect(accepted.status).toBe(202);
  });

  it('should take a new image version published on another replica into the summary and the versions', async () => {
    const { a, b } = await twoReplicas();
    await createRunning(a, 'rm-version');
    await a.app.events.settled();
    await b.app.readModel.catchUp();
    const before = (await b.request('GET', '/v1/summary')).json;
    expect(before.outdated).toEqual([]);
    const published = await a.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20991231.v1' } });
    expect(published.status).toBe(201);
    expect((await a.request('GET', '/v1/summary')).json.latestVersion).toBe('20991231.v1');
    expect((await b.request('GET', '/v1/summary')).json.latestVersion).toBe(before.latestVersion);

    await a.app.events.settled();
    await b.app.readModel.catchUp();
    const after = (await b.request('GET', '/v1/summary')).json;
    expect(after.latestVersion).toBe('20991231.v1');
    expect(after.outdated).toEqual([
      { name: 'rm-version', imageVersion: before.latestVersion, latestVersion: '20991231.v1' },
    ]);
    expect((await b.request('GET', '/v1/versions')).json.latest).toBe('20991231.v1');
  });

  it("should take the tail's reads of the log as proof that it is current, and make no look of its own", async () => {
    const app = createRuntimeServiceApp({
      config: serviceConfig({ demoData: true, durationScale: 0 }),
      storage: new MemoryStorage(),
      log: createLogger('silent'),
      clock: systemClock,
      timings: localTimings(0),
      events: { tailPollMs: 50, busyPollMs: 50 },
    });
    apps.push(app);
    const url = await app.start();
    const looks = vi.spyOn(app.events, 'lastId');
    const polls = app.events.tail.polls;
    // The recheck runs every second; the tail reads the log every 50-200 ms meanwhile.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(app.events.tail.polls).toBeGreaterThan(polls);
    expect(looks).not.toHaveBeenCalled();
    expect((await sendRequest(url, 'GET', '/v1/summary')).status).toBe(200);
  });

  it('should answer reads while it can look at the log, and 503 once it could not for staleAfterMs', async () => {
    const storage = new SwitchableStorage(new MemoryStorage());
    const app = createRuntimeServiceApp({
      config: serviceConfig({ demoData: true, durationScale: 0 }),
      storage,
      log: createLogger('silent'),
      clock: systemClock,
      timings: localTimings(0),
      events: { tailPollMs: 50, busyPollMs: 50 },
      readModelStaleAfterMs: 300,
    });
    apps.push(app);
    const url = await app.start();
    const status = async () => (await sendRequest(url, 'GET', '/v1/summary')).status;
    expect(await status()).toBe(200);
    storage.down = true;
    expect(await status()).toBe(200); // from memory, while the lag is within its bound
    await expect.poll(status, { interval: 25, timeout: 5_000 }).toBe(503);
    const refused = await sendRequest(url, 'GET', '/v1/runtimes/chat-dev');
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: 'storage_unavailable' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    storage.down = false;
    await expect.poll(status, { interval: 25, timeout: 5_000 }).toBe(200);
  });
});

/** A storage that can be taken away: every call fails as an unreachable store does. */
class SwitchableStorage implements Storage {
  down = false;
  constructor(private readonly inner: Storage) {}
  private check(): void {
    if (this.down) throw new StorageUnavailableError('the store is away (test)', 2);
  }
  async read(keys: string[]) {
    this.check();
    return this.inner.read(keys);
  }
  async write(changes: StoreItems) {
    this.check();
    return this.inner.write(changes);
  }
  async delete(keys: string[]) {
    this.check();
    return this.inner.delete(keys);
  }
  async list(prefix: string) {
    this.check();
    return this.inner.list(prefix);
  }
  health() {
    return this.inner.health();
  }
}
