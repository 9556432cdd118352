import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock';
import type { ServiceEvent } from '../../src/domain/runtime';
import { withoutEtag } from '../../src/storage/collection';
import { FileStorage } from '../../src/storage/fileStorage';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage } from '../../src/storage/storage';
import {
  ACTORS,
  advance,
  automatic,
  createRunning,
  startTestService,
  type TestService,
  TIMINGS,
} from '../helpers/service';

const tmpDirs: string[] = [];
const services: TestService[] = [];

async function tmpDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'races-'));
  tmpDirs.push(dir);
  return dir;
}

async function start(options: Parameters<typeof startTestService>[0]): Promise<TestService> {
  const s = await startTestService(options);
  services.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(tmpDirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

const backends: [string, () => Promise<Storage>][] = [
  ['MemoryStorage', async () => new MemoryStorage()],
  ['FileStorage', async () => new FileStorage(await tmpDir())],
];

describe.each(backends)('concurrent requests on %s', (_name, makeStorage) => {
  let s: TestService;

  beforeEach(async () => {
    s = await start({ storage: await makeStorage() });
  });

  it('should accept exactly one of 10 parallel PATCHes with the same If-Match', async () => {
    await createRunning(s, 'race-rt');
    const etag = (await s.request('GET', '/v1/runtimes/race-rt')).headers.get('etag')!;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.request('PATCH', '/v1/runtimes/race-rt', {
          actor: ACTORS.alex,
          body: { idleTimeMinutes: 100 + i },
          headers: { 'if-match': etag },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 202)).toHaveLength(1);
    expect(statuses.filter((x) => x !== 202).every((x) => x === 412 || x === 409)).toBe(true);
    const winner = answers.find((a) => a.status === 202)!;
    expect((await s.request('GET', '/v1/runtimes/race-rt')).json.idleTimeMinutes).toBe(
      winner.json.input.idleTimeMinutes,
    );
    expect((await s.app.engine.operations.all()).filter((op) => op.kind === 'update')).toHaveLength(1);
  });

  it('should accept exactly one of 10 parallel creates of one name', async () => {
    const actors = [ACTORS.alex, ACTORS.megan, ACTORS.adele];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.request('PUT', `/v1/runtimes/${i % 2 ? 'Race-New' : 'race-new'}`, {
          actor: actors[i % 3],
          body: automatic({ idleTimeMinutes: 30 + i }),
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 202)).toHaveLength(1);
    expect(statuses.filter((x) => x === 409)).toHaveLength(9);
    expect(await s.app.engine.runtimes.ids()).toEqual(['race-new']);
    expect(await s.app.engine.operations.ids()).toHaveLength(1);
    const winner = answers.find((a) => a.status === 202)!;
    expect((await s.request('GET', '/v1/runtimes/race-new')).json.idleTimeMinutes).toBe(
      winner.json.input.idleTimeMinutes,
    );
  });

  it('should let exactly one of two different changes claim a runtime', async () => {
    await createRunning(s, 'race-rt');
    const [install, stop] = await Promise.all([
      s.request('POST', '/v1/runtimes/race-rt/install', { actor: ACTORS.alex, body: { requirements: 'numpy' } }),
      s.request('POST', '/v1/runtimes/race-rt/stop', { actor: ACTORS.megan }),
    ]);
    expect([install.status, stop.status].sort()).toEqual([202, 409]);
  });
});

describe('two replicas on one data folder', () => {
  it('should run every step exactly once while both engines tick at the same time', async () => {
    const dir = await tmpDir();
    const clock = new FakeClock();
    // Two app instances, each with its own FileStorage on the same folder: two replicas.
    const a = await start({ storage: new FileStorage(dir), clock });
    const b = await start({ storage: new FileStorage(dir), clock });
    const ticks = async (seconds: number) => {
      for (let i = 0; i < seconds; i++) {
        clock.advance(1000);
        await Promise.all([a.app.engine.tick(), b.app.engine.tick(), a.app.engine.tick(), b.app.engine.tick()]);
      }
    };
    const accept = async (res: Promise<{ status: number; text: string }>) => {
      const r = await res;
      expect(r.status, r.text).toBe(202);
    };

    await Promise.all([
      accept(a.request('PUT', '/v1/runtimes/rep-one', { actor: ACTORS.alex, body: automatic() })),
      accept(b.request('PUT', '/v1/runtimes/rep-two', { actor: ACTORS.megan, body: automatic() })),
    ]);
    await ticks(7);
    await Promise.all([
      accept(
        b.request('POST', '/v1/runtimes/rep-one/install', {
          actor: ACTORS.alex,
          body: { requirements: 'numpy==0.0.1' },
        }),
      ),
      accept(a.request('POST', '/v1/runtimes/rep-two/reset', { actor: ACTORS.megan })),
    ]);
    await ticks(10);
    await Promise.all([
      accept(a.request('POST', '/v1/runtimes/rep-one/stop', { actor: ACTORS.alex })),
      accept(b.request('POST', '/v1/runtimes/rep-two/stop', { actor: ACTORS.megan })),
    ]);
    await ticks(4);

    const ops = await a.app.engine.operations.all();
    expect(ops.map((op) => `${op.runtimeName}:${op.kind}:${op.status}`).sort()).toEqual([
      'rep-one:create:Succeeded',
      'rep-one:install:Failed',
      'rep-one:stop:Succeeded',
      'rep-two:create:Succeeded',
      'rep-two:reset:Succeeded',
      'rep-two:stop:Succeeded',
    ]);
    await Promise.all([a.app.events.settled(), b.app.events.settled()]);
    const events = await a.app.events.after(undefined);
    const forOp = (id: string, type: ServiceEvent['type']) =>
      events.filter(
        (e) => e.type === type && (e.data.operationId === id || (e.data.operation as { id?: string })?.id === id),
      );
    const expected: Record<string, string[]> = {
      create: ['Starting', 'Running'],
      install: ['Updating', 'Failed'],
      reset: ['Resetting', 'Starting', 'Running'],
      stop: ['Stopping', 'NotExist'],
    };
    for (const op of ops) {
      const label = `${op.runtimeName} ${op.kind}`;
      expect(forOp(op.id, 'operation.started'), label).toHaveLength(1);
      expect(forOp(op.id, 'operation.completed'), label).toHaveLength(1);
      const changes = [...forOp(op.id, 'runtime.changed'), ...forOp(op.id, 'runtime.deleted')].sort((x, y) =>
        x.id.localeCompare(y.id),
      );
      expect(
        changes.map((e) => e.data.status),
        label,
      ).toEqual(expected[op.kind]);
      // Accepted, then one step per transition.
      expect(
        op.steps.map((step) => step.runtimeStatus ?? step.status),
        label,
      ).toEqual(['NotStarted', ...expected[op.kind]]);
    }
    // Event ids are one gap-free sequence, though two replicas appended them.
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(await a.app.engine.runtimes.ids()).toEqual([]);
  });
});

describe('a worker that died in the middle of a step', () => {
  it('should leave its operation alone until the lease runs out, then finish it', async () => {
    const s = await start({ storage: new MemoryStorage() });
    const created = await s.request('PUT', '/v1/runtimes/lease-rt', { actor: ACTORS.alex, body: automatic() });
    const id = created.json.id;
    // What a replica killed after claiming the next step leaves behind: a lease nobody will release.
    const op = (await s.app.engine.operations.get(id))!;
    const until = s.clock.now() + TIMINGS.startMs + 30_000;
    await s.app.engine.operations.replace(
      id,
      { ...withoutEtag(op), lease: { owner: 'worker-that-died', until } },
      op.eTag,
    );

    await advance(s, TIMINGS.startMs);
    await advance(s, 29_999);
    expect((await s.request('GET', '/v1/runtimes/lease-rt')).json.status).toBe('Starting');
    await advance(s, 1);
    expect((await s.request('GET', '/v1/runtimes/lease-rt')).json.status).toBe('Running');
    expect((await s.request('GET', `/v1/operations/${id}`)).json.status).toBe('Succeeded');
  });
});
