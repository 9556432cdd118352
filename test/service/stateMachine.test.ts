import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../../src/domain/runtime';
import { FileStorage } from '../../src/storage/fileStorage';
import {
  ACTORS,
  advance,
  automatic,
  createRunning,
  startTestService,
  type TestService,
  TIMINGS,
} from '../helpers/service';

const STABLE = 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable';
const LATEST = '20251211.v2'; // newest tag in catalogue/promptflow-runtime-stable.json

let s: TestService;

afterEach(async () => {
  await s?.close();
});

const runtime = async (name: string) => (await s.request('GET', `/v1/runtimes/${name}`)).json;
const operation = async (id: string) => (await s.request('GET', `/v1/operations/${id}`)).json;
const post = (name: string, action: string, body?: unknown, actor: Person = ACTORS.alex) =>
  s.request('POST', `/v1/runtimes/${name}/${action}`, { actor, ...(body !== undefined ? { body } : {}) });

describe('runtime life cycle', () => {
  beforeEach(async () => {
    s = await startTestService();
  });

  it('should create an automatic runtime: Starting, then Running after startMs', async () => {
    const res = await s.request('PUT', '/v1/runtimes/rt-a', { actor: ACTORS.alex, body: automatic() });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ kind: 'create', status: 'Running', runtimeName: 'rt-a' });
    expect(await runtime('rt-a')).toMatchObject({ status: 'Starting', imageVersion: LATEST, owner: ACTORS.alex });

    await advance(s, TIMINGS.startMs - 1);
    expect((await runtime('rt-a')).status).toBe('Starting');
    await advance(s, 1);
    const rt = await runtime('rt-a');
    expect(rt).toMatchObject({ status: 'Running', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 60, outdated: false });
    expect(rt.activeOperation).toBeUndefined();
    expect(rt.lastOperation).toMatchObject({ id: res.json.id, status: 'Succeeded' });
    const op = await operation(res.json.id);
    expect(op.status).toBe('Succeeded');
    expect(op.steps.map((x: { runtimeStatus?: string }) => x.runtimeStatus).filter(Boolean)).toEqual([
      'Starting',
      'Running',
    ]);
  });

  it('should install packages: Updating, then Running with the packages installed', async () => {
    await createRunning(s, 'rt-i');
    const res = await post('rt-i', 'install', { requirements: 'numpy==2.1.3\nrequests>=2.31' });
    expect(res.status).toBe(202);
    expect(await runtime('rt-i')).toMatchObject({ status: 'Updating', packagesInstalled: false });
    await advance(s, TIMINGS.installMs);
    expect(await runtime('rt-i')).toMatchObject({
      status: 'Running',
      packages: ['numpy==2.1.3', 'requests>=2.31'],
      packagesInstalled: true,
    });
    expect((await operation(res.json.id)).status).toBe('Succeeded');
  });

  it.each([
    [
      'numpy==0.0.1',
      /^ERROR: Could not find a version that satisfies the requirement numpy==0\.0\.1 \(from versions: 1\.24\.4, .*2\.1\.3\)/,
    ],
    [
      'not-a-real-pkg',
      /^ERROR: Could not find a version that satisfies the requirement not-a-real-pkg \(from versions: none\)/,
    ],
  ])('should fail an install of %j with pip-like output', async (line, firstError) => {
    await createRunning(s, 'rt-f');
    const res = await post('rt-f', 'install', { requirements: `requests\n${line}` });
    expect(res.status).toBe(202);
    await advance(s, TIMINGS.installMs);
    const rt = await runtime('rt-f');
    expect(rt.status).toBe('Failed');
    expect(rt.error.code).toBe('PackageInstallFailed');
    expect(rt.error.details).toMatch(firstError);
    expect(rt.error.details).toMatch(/ERROR: No matching distribution found for/);
    const op = await operation(res.json.id);
    expect(op.status).toBe('Failed');
    expect(op.error.details).toBe(rt.error.details);
  });

  it('should recover from Failed by installing a line that exists', async () => {
    await createRunning(s, 'rt-r');
    await post('rt-r', 'install', { requirements: 'numpy==0.0.1' });
    await advance(s, TIMINGS.installMs);
    expect((await runtime('rt-r')).status).toBe('Failed');
    expect((await post('rt-r', 'install', { requirements: 'numpy==2.1.3' })).status).toBe(202);
    await advance(s, TIMINGS.installMs);
    const rt = await runtime('rt-r');
    expect(rt).toMatchObject({ status: 'Running', packagesInstalled: true });
    expect(rt.error).toBeUndefined();
  });

  it('should save requirements only, without a status change', async () => {
    await createRunning(s, 'rt-s');
    const before = await runtime('rt-s');
    s.clock.advance(1000);
    const res = await post('rt-s', 'install', { requirements: 'pandas==2.2.3', saveOnly: true });
    expect(res.status).toBe(202);
    expect(res.json.status).toBe('Succeeded'); // nothing to wait for
    const after = await runtime('rt-s');
    expect(after).toMatchObject({ status: 'Running', packages: ['pandas==2.2.3'], packagesInstalled: false });
    expect(after.modifiedOn).not.toBe(before.modifiedOn);
    const statuses = (await operation(res.json.id)).steps.map((x: { runtimeStatus?: string }) => x.runtimeStatus);
    expect(statuses.filter(Boolean)).toEqual([]);
  });

  it('should reset: Resetting, Starting, Running, on a newly published latest image', async () => {
    await createRunning(s, 'rt-x');
    const published = await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260115.v1' } });
    expect(published.status).toBe(201);
    expect(await runtime('rt-x')).toMatchObject({ outdated: true, latestVersion: '20260115.v1', imageVersion: LATEST });

    const res = await post('rt-x', 'reset');
    expect(res.status).toBe(202);
    expect((await runtime('rt-x')).status).toBe('Resetting');
    await advance(s, TIMINGS.resetMs);
    expect(await runtime('rt-x')).toMatchObject({ status: 'Starting', imageVersion: '20260115.v1' });
    await advance(s, TIMINGS.startMs);
    expect(await runtime('rt-x')).toMatchObject({ status: 'Running', imageVersion: '20260115.v1', outdated: false });
    expect((await operation(res.json.id)).status).toBe('Succeeded');
  });

  it('should stop: Stopping, then gone, with the operation Succeeded', async () => {
    await createRunning(s, 'rt-stop');
    const res = await post('rt-stop', 'stop');
    expect(res.status).toBe(202);
    expect((await runtime('rt-stop')).status).toBe('Stopping');
    await advance(s, TIMINGS.stopMs);
    expect((await s.request('GET', '/v1/runtimes/rt-stop')).status).toBe(404);
    const op = await operation(res.json.id);
    expect(op).toMatchObject({ kind: 'stop', status: 'Succeeded', runtimeName: 'rt-stop' });
    // The name is free again.
    expect((await s.request('PUT', '/v1/runtimes/rt-stop', { actor: ACTORS.megan, body: automatic() })).status).toBe(
      202,
    );
  });

  it('should upgrade an outdated automatic runtime to the latest image, then refuse with 409', async () => {
    await createRunning(s, 'rt-old', automatic({ baseImage: `${STABLE}:20250131.v2` }));
    expect(await runtime('rt-old')).toMatchObject({ imageVersion: '20250131.v2', outdated: true });
    const check = await s.request('GET', '/v1/runtimes/rt-old/version');
    expect(check.json.newer.map((v: { tag: string }) => v.tag)).toEqual([
      '20250220.v2',
      '20250728.v1',
      '20250806.v3',
      '20250831.v1',
      '20251014.v1',
      LATEST,
    ]);

    const res = await post('rt-old', 'upgrade');
    expect(res.status).toBe(202);
    expect(res.json.input).toEqual({ toVersion: LATEST });
    await advance(s, TIMINGS.resetMs);
    await advance(s, TIMINGS.startMs);
    expect(await runtime('rt-old')).toMatchObject({ status: 'Running', imageVersion: LATEST, outdated: false });

    const again = await post('rt-old', 'upgrade');
    expect(again.status).toBe(409);
    expect(again.json.detail).toMatch(/already runs the latest image version, 20251211\.v2/);
  });

  it('should upgrade a compute instance runtime through Updating', async () => {
    await s.close();
    s = await startTestService({ demoData: true });
    expect((await runtime('ci-alex-runtime')).outdated).toBe(true);
    expect((await post('ci-alex-runtime', 'upgrade')).status).toBe(202);
    expect((await runtime('ci-alex-runtime')).status).toBe('Updating');
    await advance(s, TIMINGS.updateMs);
    expect(await runtime('ci-alex-runtime')).toMatchObject({
      status: 'Running',
      imageVersion: LATEST,
      outdated: false,
    });
  });

  it('should apply a new idle time at once, without a status change', async () => {
    await createRunning(s, 'rt-e');
    const res = await s.request('PATCH', '/v1/runtimes/rt-e', { actor: ACTORS.alex, body: { idleTimeMinutes: 120 } });
    expect(res.status).toBe(202);
    expect(res.json.status).toBe('Succeeded');
    expect(await runtime('rt-e')).toMatchObject({ status: 'Running', idleTimeMinutes: 120 });
  });

  it('should move to a new VM size through Updating', async () => {
    await createRunning(s, 'rt-v');
    const res = await s.request('PATCH', '/v1/runtimes/rt-v', {
      actor: ACTORS.alex,
      body: { vmSize: 'standard_e8ds_v4' },
    });
    expect(res.status).toBe(202);
    expect(res.json.warnings).toEqual([expect.stringMatching(/restarts/)]);
    expect(await runtime('rt-v')).toMatchObject({ status: 'Updating', vmSize: 'Standard_E4ds_v4' });
    await advance(s, TIMINGS.updateMs);
    expect(await runtime('rt-v')).toMatchObject({ status: 'Running', vmSize: 'Standard_E8ds_v4' }); // canonical case
  });

  it('should refuse an edit that changes nothing', async () => {
    await createRunning(s, 'rt-n');
    const res = await s.request('PATCH', '/v1/runtimes/rt-n', { actor: ACTORS.alex, body: { idleTimeMinutes: 60 } });
    expect(res.status).toBe(422);
    expect(res.json.detail).toMatch(/Nothing to change/);
  });
});

describe('idle shutdown', () => {
  beforeEach(async () => {
    s = await startTestService();
  });

  const stops = async () => (await s.app.engine.operations.all()).filter((op) => op.kind === 'stop');

  it('should stop a runtime once, by the system, after idleTimeMinutes unused', async () => {
    await createRunning(s, 'rt-idle', automatic({ idleTimeMinutes: 30 }));
    const rt = await runtime('rt-idle');
    expect(rt.idleShutdownAt).toBe(new Date(Date.parse(rt.lastUsedOn) + 30 * 60_000).toISOString());

    s.clock.advance(30 * 60_000 - 1);
    await s.app.engine.sweep();
    expect(await stops()).toEqual([]);

    s.clock.advance(1);
    await s.app.engine.sweep();
    await s.app.engine.sweep();
    expect(await stops()).toHaveLength(1);
    const [stop] = await stops();
    expect(stop.requestedBy).toEqual({ objectId: 'system', name: 'Runtime service' });
    expect((await runtime('rt-idle')).status).toBe('Stopping');

    await advance(s, TIMINGS.stopMs);
    expect((await s.request('GET', '/v1/runtimes/rt-idle')).status).toBe(404);
    expect((await operation(stop.id)).status).toBe('Succeeded');
  });

  it('should say that the stop is an idle shutdown', async () => {
    await createRunning(s, 'rt-why', automatic({ idleTimeMinutes: 15 }));
    s.clock.advance(15 * 60_000);
    await s.app.engine.sweep();
    const [stop] = await stops();
    expect(stop.input).toEqual({ reason: 'idle' });
    expect(await runtime('rt-why')).toMatchObject({ status: 'Stopping', statusMessage: 'Idle shutdown' });
    await s.app.events.settled();
    const changed = (await s.app.events.after(undefined)).filter(
      (e) => e.type === 'runtime.changed' && e.data.operationId === stop.id,
    );
    expect(changed.map((e) => e.data.message)).toEqual(['rt-why was idle for 15 minutes: stopping it']);
  });

  it('should start one stop when two sweeps run at the same time', async () => {
    await createRunning(s, 'rt-idle2', automatic({ idleTimeMinutes: 15 }));
    s.clock.advance(15 * 60_000);
    await Promise.all([s.app.engine.sweep(), s.app.engine.sweep(), s.app.engine.sweep()]);
    expect(await stops()).toHaveLength(1);
  });

  it('should not stop a runtime that is used again', async () => {
    await createRunning(s, 'rt-busy', automatic({ idleTimeMinutes: 15 }));
    s.clock.advance(10 * 60_000);
    await post('rt-busy', 'install', { requirements: 'numpy' }); // using it resets lastUsedOn
    await advance(s, TIMINGS.installMs);
    s.clock.advance(10 * 60_000);
    await s.app.engine.sweep();
    expect(await stops()).toEqual([]);
  });
});

describe('create rules', () => {
  beforeEach(async () => {
    s = await startTestService();
  });

  const ci = (computeInstanceName: string, customApplication: object, extra: object = {}) => ({
    type: 'computeInstance',
    computeInstanceName,
    customApplication,
    ...extra,
  });

  it.each([
    [
      'Megan on Alex’s ci-alex',
      ACTORS.megan,
      ci('ci-alex', { mode: 'existing', name: 'pf-app' }),
      'computeInstanceName',
      /belongs to Alex Wilber/,
    ],
    [
      'Megan on ci-team-gpu (not hers)',
      ACTORS.megan,
      ci('ci-team-gpu', { mode: 'new' }),
      'computeInstanceName',
      /belongs to Adele Vance/,
    ],
    [
      'Adele on her Stopped ci-adele-old',
      ACTORS.adele,
      ci('ci-adele-old', { mode: 'existing', name: 'pf-legacy' }),
      'computeInstanceName',
      /is Stopped/,
    ],
    [
      'an unknown compute instance',
      ACTORS.alex,
      ci('ci-nope', { mode: 'new' }),
      'computeInstanceName',
      /no compute instance named ci-nope/,
    ],
    [
      'an application that does not exist',
      ACTORS.alex,
      ci('ci-alex', { mode: 'existing', name: 'nope' }),
      'customApplication',
      /no custom application named nope \(it has: pf-app\)/,
    ],
    [
      'an unknown customized environment',
      ACTORS.alex,
      ci('ci-alex', { mode: 'new' }, { environment: { mode: 'customized', name: 'pf-nope' } }),
      'environment',
      /pf-nope/,
    ],
    [
      'a VM size without quota',
      ACTORS.alex,
      automatic({ vmSize: 'Standard_NC24ads_A100_v4' }),
      'vmSize',
      /no quota for Standard_NC24ads_A100_v4/,
    ],
    [
      'an unknown VM size',
      ACTORS.alex,
      automatic({ vmSize: 'Standard_Z99' }),
      'vmSize',
      /Unknown VM size Standard_Z99/,
    ],
    [
      'an identity without AcrPull',
      ACTORS.alex,
      automatic({ identity: { type: 'userAssigned', resourceId: identityId('uai-no-acr') } }),
      'identity',
      /uai-no-acr lacks AcrPull/,
    ],
    [
      'an identity from elsewhere',
      ACTORS.alex,
      automatic({ identity: { type: 'userAssigned', resourceId: identityId('uai-other') } }),
      'identity',
      /not in this workspace/,
    ],
    [
      'an unpublished base image',
      ACTORS.alex,
      automatic({ baseImage: `${STABLE}:20990101.v1` }),
      'baseImage',
      /no published image version "20990101\.v1"/,
    ],
    [
      'a requirement pip cannot read',
      ACTORS.alex,
      automatic({ requirements: 'numpy=1.0' }),
      'requirements',
      /use "==" to pin/,
    ],
  ])('should refuse %s with 422 and the field named', async (_case, actor, body, field, message) => {
    const res = await s.request('PUT', '/v1/runtimes/rt-rule', { actor, body });
    expect(res.status).toBe(422);
    expect(res.json.errors[field]).toMatch(message);
    expect(res.json.detail).toMatch(message);
    expect((await s.request('GET', '/v1/runtimes/rt-rule')).status).toBe(404); // nothing claimed
  });

  it.each([
    ['Alex on his own ci-alex', ACTORS.alex, ci('ci-alex', { mode: 'existing', name: 'pf-app' })],
    ['Alex on ci-team-gpu, assigned to him', ACTORS.alex, ci('ci-team-gpu', { mode: 'existing', name: 'PF-GPU' })],
    ['Adele on her own ci-team-gpu', ACTORS.adele, ci('ci-team-gpu', { mode: 'existing', name: 'pf-gpu' })],
    [
      'an identity with AcrPull',
      ACTORS.alex,
      automatic({ identity: { type: 'userAssigned', resourceId: identityId('uai-promptflow') } }),
    ],
  ])('should accept %s', async (_case, actor, body) => {
    const res = await s.request('PUT', '/v1/runtimes/rt-ok', { actor, body });
    expect(res.status).toBe(202);
    expect(res.json.warnings).toEqual([]);
  });

  it('should warn that a new custom application restarts the compute instance', async () => {
    const res = await s.request('PUT', '/v1/runtimes/rt-new-app', {
      actor: ACTORS.megan,
      body: ci('ci-megan', { mode: 'new' }),
    });
    expect(res.status).toBe(202);
    expect(res.json.warnings).toEqual([expect.stringMatching(/restarts ci-megan, which interrupts the jobs/)]);
    await advance(s, TIMINGS.startMs);
    expect(await runtime('rt-new-app')).toMatchObject({
      status: 'Running',
      customApplication: { mode: 'new', name: 'pf-rt-new-app' },
      environment: { mode: 'default' },
    });
  });

  it.each([15, 4320])('should accept an idle time of %i minutes', async (idleTimeMinutes) => {
    const res = await s.request('PUT', '/v1/runtimes/rt-idle', {
      actor: ACTORS.alex,
      body: automatic({ idleTimeMinutes }),
    });
    expect(res.status).toBe(202);
  });

  it.each([14, 4321, 0, -5, 60.5])(
    'should refuse an idle time of %s minutes, naming the field',
    async (idleTimeMinutes) => {
      const res = await s.request('PUT', '/v1/runtimes/rt-idle', {
        actor: ACTORS.alex,
        body: automatic({ idleTimeMinutes }),
      });
      // Rejected by the schema (400) before the emulator's rule (422) gets to say it.
      expect([400, 422]).toContain(res.status);
      expect(Object.keys(res.json.errors)).toEqual(['idleTimeMinutes']);
    },
  );

  it('should refuse to install requirements on a compute instance runtime', async () => {
    await s.request('PUT', '/v1/runtimes/rt-ci', {
      actor: ACTORS.alex,
      body: ci('ci-alex', { mode: 'existing', name: 'pf-app' }),
    });
    await advance(s, TIMINGS.startMs);
    const res = await post('rt-ci', 'install', { requirements: 'numpy' });
    expect(res.status).toBe(422);
    expect(res.json.errors.requirements).toMatch(
      /compute instance runtime: it takes packages through a customized environment/,
    );
  });
});

describe('private feed tokens', () => {
  const TOKEN = 'pat4PrivateFeedSecret0123456789abcdef';
  const FEED = `https://build:${TOKEN}@pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/`;
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'feed-token-'));
    s = await startTestService({ storage: new FileStorage(dataDir) });
  });

  afterEach(async () => {
    await s.close();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  async function filesContaining(dir: string, needle: string): Promise<string[]> {
    const hits: string[] = [];
    for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      if ((await fsp.readFile(file, 'utf8')).includes(needle)) hits.push(file);
    }
    return hits;
  }

  it('should never show, publish, store or log the token', async () => {
    const seen: string[] = [];
    const keep = <T extends { text: string; headers: Headers }>(res: T): T => {
      seen.push(res.text, JSON.stringify([...res.headers]));
      return res;
    };
    const created = keep(
      await s.request('PUT', '/v1/runtimes/rt-feed', {
        actor: ACTORS.alex,
        body: automatic({ requirements: `-i ${FEED}\ncontoso-private==1.0` }),
      }),
    );
    expect(created.status).toBe(202);
    await advance(s, TIMINGS.startMs);
    keep(await post('rt-feed', 'install', { requirements: `--extra-index-url ${FEED}\ncontoso-tools\nnumpy` }));
    await advance(s, TIMINGS.installMs);
    keep(await post('rt-feed', 'install', { requirements: `--index-url=${FEED}\ncontoso-other`, saveOnly: true }));
    // A line pip cannot read still echoes the feed URL in its error: scrubbed too.
    const bad = keep(await post('rt-feed', 'install', { requirements: `-i ${FEED} --pre\ncontoso` }));
    expect(bad.status).toBe(422);

    const rt = keep(await s.request('GET', '/v1/runtimes/rt-feed'));
    expect(rt.json.status).toBe('Running');
    expect(rt.json.packages).toEqual([
      '--index-url=https://***@pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/',
      'contoso-other',
    ]);
    keep(await s.request('GET', '/v1/runtimes'));
    keep(await s.request('GET', `/v1/operations/${created.json.id}`));
    for (const op of await s.app.engine.operations.all()) keep(await s.request('GET', `/v1/operations/${op.id}`));

    expect(seen.filter((text) => text.includes(TOKEN))).toEqual([]);
    await s.app.events.settled();
    const events = await s.app.events.after(undefined);
    expect(events.length).toBeGreaterThan(4);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(s.logs.length).toBeGreaterThan(0);
    expect(s.logs.filter((line) => line.includes(TOKEN))).toEqual([]);
    expect(await filesContaining(dataDir, TOKEN)).toEqual([]);
    // The redacted lines are what got stored: the check above is looking in the right place.
    expect(await filesContaining(dataDir, 'https://***@pkgs.dev.azure.com')).not.toEqual([]);
  });
});

function identityId(name: string): string {
  return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-promptflow-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}
