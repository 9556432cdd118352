/**
 * The runtime service with the azureml provider against the loopback Azure ML fake and a real
 * ClientSecretCredential on the loopback token endpoint: every runtime type through its life cycle,
 * runtimes made outside the bot, unknown statuses, throttling, refusals and an Azure outage. The
 * fake checks every request against the OpenAPI document: no test may leave a violation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logger';
import { createRuntimeServiceApp } from '../../../../src/service/app';
import { type Harness, startHarness } from '../../../helpers/azureml/harness';
import { sendRequest } from '../../../helpers/service';

const OLD = '20240429.v8';
const LATEST = '20251211.v2';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  expect(h.fake.violations).toEqual([]);
  await h.close();
});

const run = (method: string, path: string, body?: unknown) => h.run(method, path, body);
const runtime = (name: string) => h.runtime(name);
const automatic = (extra: Record<string, unknown> = {}) => ({
  type: 'automatic',
  vmSize: 'Standard_E4ds_v4',
  ...extra,
});

describe('azureml provider: automatic runtimes (sessions)', () => {
  it('should create, install, reset, edit and stop a session', async () => {
    const created = await run('PUT', '/v1/runtimes/chat-dev', automatic({ requirements: 'requests==2.32.3\n' }));
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    expect(await runtime('chat-dev')).toMatchObject({
      status: 'Running',
      vmSize: 'Standard_E4ds_v4',
      packagesInstalled: true,
    });
    expect(h.fake.sessions.sessions.get('chat-dev')?.requirements).toEqual(['requests==2.32.3']);

    const installed = await run('POST', '/v1/runtimes/chat-dev/install', { requirements: 'pandas==2.2.3\nnumpy' });
    expect(installed.status).toBe('Succeeded');
    expect(await runtime('chat-dev')).toMatchObject({ status: 'Running', packages: ['pandas==2.2.3', 'numpy'] });

    expect((await run('POST', '/v1/runtimes/chat-dev/reset', {})).status).toBe('Succeeded');
    const actions = h.fake.callsTo('FlowSessions_CreateFlowSession').map((c) => (c.body as { action: string }).action);
    expect(actions.slice(-2)).toEqual(['Reset', 'Install']);

    const edited = await run('PATCH', '/v1/runtimes/chat-dev', { vmSize: 'Standard_E8ds_v4', idleTimeMinutes: 120 });
    expect(edited.status).toBe('Succeeded');
    expect(h.fake.sessions.sessions.get('chat-dev')).toMatchObject({
      vmSize: 'Standard_E8ds_v4',
      maxIdleTimeSeconds: 7200,
    });
    expect(await runtime('chat-dev')).toMatchObject({ vmSize: 'Standard_E8ds_v4', idleTimeMinutes: 120 });

    expect((await run('POST', '/v1/runtimes/chat-dev/stop', {})).status).toBe('Succeeded');
    expect(h.fake.sessions.sessions.has('chat-dev')).toBe(false);
    expect((await h.request('GET', '/v1/runtimes/chat-dev')).status).toBe(404);
  });

  it('should fail an install with pip error lines, and mark the runtime Failed', async () => {
    await run('PUT', '/v1/runtimes/chat-dev', automatic());
    const op = await run('POST', '/v1/runtimes/chat-dev/install', { requirements: 'no-such-package-xyz==1.0' });
    expect(op.status).toBe('Failed');
    expect(op.error.code).toBe('PackageInstallFailed');
    expect(op.error.message).toMatch(/pip could not install the requirements: .*no-such-package-xyz/i);
    const r = await runtime('chat-dev');
    expect(r).toMatchObject({ status: 'Failed', packagesInstalled: false, error: { code: 'PackageInstallFailed' } });
    expect(r.error.details).toMatch(/no-such-package-xyz/);
  });

  it('should send a private feed token to Azure but store and show it redacted', async () => {
    await run('PUT', '/v1/runtimes/chat-dev', automatic());
    const feed = '-i https://user:s3cr3t-feed-token@pkgs.example.com/simple\nrequests';
    const op = await run('POST', '/v1/runtimes/chat-dev/install', { requirements: feed });
    expect(op.status).toBe('Succeeded');
    expect(h.fake.sessions.sessions.get('chat-dev')?.requirements[0]).toContain('s3cr3t-feed-token');
    const everything = JSON.stringify([op, await runtime('chat-dev'), h.logs]);
    expect(everything).not.toContain('s3cr3t-feed-token');
  });

  it('should upgrade an outdated automatic runtime by resetting it on the latest image', async () => {
    const image = `mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:${OLD}`;
    await run('PUT', '/v1/runtimes/chat-old', automatic({ baseImage: image }));
    expect(await h.request('GET', '/v1/runtimes/chat-old/version')).toMatchObject({
      json: { imageVersion: OLD, latestVersion: LATEST, outdated: true },
    });
    expect((await run('POST', '/v1/runtimes/chat-old/upgrade', {})).status).toBe('Succeeded');
    expect(h.fake.sessions.sessions.get('chat-old')?.baseImage).toMatch(new RegExp(`:${LATEST}$`));
    expect(await runtime('chat-old')).toMatchObject({ imageVersion: LATEST, outdated: false, status: 'Running' });
  });
});

describe('azureml provider: compute instance and deployment runtimes', () => {
  beforeEach(() => {
    h.fake.addComputeInstance({ name: 'ci-bot', ownerObjectId: h.tokens.defaultClient.objectId });
  });

  it('should create a compute instance runtime after checking the instance, then update and stop it', async () => {
    const body = { type: 'computeInstance', computeInstanceName: 'ci-bot', customApplication: { mode: 'new' } };
    const created = await run('PUT', '/v1/runtimes/ci-runtime', body);
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    expect(h.fake.callsTo('FlowRuntimes_CheckCiAvailability')).toHaveLength(1);
    expect(await runtime('ci-runtime')).toMatchObject({
      status: 'Running',
      computeInstanceName: 'ci-bot',
      customApplication: { mode: 'new', name: 'ci-runtime-app' },
      imageVersion: LATEST,
    });
    const env = 'azureml:my-env:3';
    expect(
      (await run('PATCH', '/v1/runtimes/ci-runtime', { environment: { mode: 'customized', name: env } })).status,
    ).toBe('Succeeded');
    expect(h.fake.runtimes.get('ci-runtime').environment).toBe(env);
    expect((await run('POST', '/v1/runtimes/ci-runtime/stop', {})).status).toBe('Succeeded');
    expect(h.fake.runtimes.runtimes.get('ci-runtime')?.status).toBe('NotExist');
    expect((await h.request('GET', '/v1/runtimes/ci-runtime')).status).toBe(404);
  });

  it('should create and scale a managed online deployment runtime', async () => {
    const body = {
      type: 'managedOnlineDeployment',
      endpointName: 'ep-one',
      deploymentName: 'blue',
      instanceType: 'Standard_DS3_v2',
    };
    expect((await run('PUT', '/v1/runtimes/mir-rt', body)).status).toBe('Succeeded');
    expect((await run('PATCH', '/v1/runtimes/mir-rt', { instanceCount: 3 })).status).toBe('Succeeded');
    expect(h.fake.runtimes.get('mir-rt').instanceCount).toBe(3);
    expect(await runtime('mir-rt')).toMatchObject({ instanceCount: 3, status: 'Running', endpointName: 'ep-one' });
  });

  it('should upgrade through needUpgrade and a PUT, and skip the PUT when Azure says it is current', async () => {
    h.fake.addRuntime({ name: 'ci-old', computeInstanceName: 'ci-bot', customAppName: 'old-app', imageTag: OLD });
    await h.sync();
    expect(await runtime('ci-old')).toMatchObject({ imageVersion: OLD, outdated: true });
    const op = await run('POST', '/v1/runtimes/ci-old/upgrade', {});
    expect(op.status).toBe('Succeeded');
    expect(h.fake.callsTo('FlowRuntimes_CheckRuntimeUpgrade')).toHaveLength(1);
    expect(h.fake.callsTo('FlowRuntimes_UpdateRuntime')).toHaveLength(1);
    expect(await runtime('ci-old')).toMatchObject({ imageVersion: LATEST, outdated: false });
  });

  it('should fail a create when the name exists in Azure but not yet in the service (409)', async () => {
    h.fake.addRuntime({ name: 'taken', computeInstanceName: 'ci-bot', customAppName: 'x-app' });
    const body = { type: 'computeInstance', computeInstanceName: 'ci-bot', customApplication: { mode: 'new' } };
    const op = await run('PUT', '/v1/runtimes/taken', body);
    expect(op.status).toBe('Failed');
    expect(op.error.message).toMatch(/already exists in Azure ML, made outside the bot/);
    await h.sync(); // the Azure one replaces the failed record
    expect(await runtime('taken')).toMatchObject({ status: 'Running', customApplication: { name: 'x-app' } });
  });

  it('should say what is in conflict when a deployment is already used by another runtime', async () => {
    h.fake.addRuntime({
      name: 'mir-a',
      runtimeType: 'ManagedOnlineEndpoint',
      endpointName: 'ep-one',
      deploymentName: 'blue',
    });
    const body = {
      type: 'managedOnlineDeployment',
      endpointName: 'ep-one',
      deploymentName: 'blue',
      instanceType: 'Standard_DS3_v2',
    };
    const op = await run('PUT', '/v1/runtimes/mir-b', body);
    expect(op.status).toBe('Failed');
    expect(op.error.message).toMatch(/conflict on runtime mir-b: Deployment ep-one\/blue is already used/);
  });

  it('should say what is missing when Azure no longer has the runtime (404)', async () => {
    h.fake.addRuntime({ name: 'ci-gone', computeInstanceName: 'ci-bot', customAppName: 'gone-app' });
    await h.sync();
    h.fake.runtimes.runtimes.delete('ci-gone');
    const op = await run('PATCH', '/v1/runtimes/ci-gone', { description: 'new words' });
    expect(op.status).toBe('Failed');
    expect(op.error.message).toMatch(/Azure ML has no runtime ci-gone in workspace ws-promptflow/);
  });
});

describe('azureml provider: sync with Azure', () => {
  it('should mirror runtimes made, changed and deleted outside the bot, statuses as they come', async () => {
    h.fake.addComputeInstance({ name: 'ci-x' });
    h.fake.addRuntime({ name: 'from-studio', computeInstanceName: 'ci-x', customAppName: 'studio-app' });
    h.fake.addRuntime({
      name: 'odd-one',
      runtimeType: 'ManagedOnlineEndpoint',
      endpointName: 'e',
      deploymentName: 'd',
    });
    h.fake.setRuntimeStatus('odd-one', 'Hibernating', { statusMessage: 'a state nobody documented' });
    await h.sync();
    const list = (await h.request('GET', '/v1/runtimes')).json.value.map((r: any) => [r.name, r.status]);
    expect(list).toEqual([
      ['from-studio', 'Running'],
      ['odd-one', 'Hibernating'],
    ]);
    expect(await runtime('odd-one')).toMatchObject({ statusMessage: 'a state nobody documented' });
    expect((await h.request('GET', '/v1/runtimes?status=Hibernating')).json.value).toHaveLength(1);
    const ci = (await h.request('GET', '/v1/compute-instances')).json.value;
    expect(ci).toMatchObject([{ name: 'ci-x', applications: [{ name: 'studio-app' }] }]);

    h.fake.setComputeInstanceState('ci-x', 'Stopped');
    h.fake.runtimes.runtimes.delete('odd-one');
    await h.sync();
    expect(await runtime('from-studio')).toMatchObject({
      status: 'Unavailable',
      statusMessage: 'Compute instance ci-x is Stopped.',
    });
    expect((await h.request('GET', '/v1/runtimes/odd-one')).status).toBe(404);
    await h.app.events.settled();
    const events = (await h.app.events.after(undefined)).map((e) => `${e.type} ${e.data.runtimeName}`);
    expect(events).toEqual(expect.arrayContaining(['runtime.changed from-studio', 'runtime.deleted odd-one']));
  });

  it('should leave a runtime with an operation in progress alone, and see a session Azure shut down', async () => {
    await run('PUT', '/v1/runtimes/chat-dev', automatic());
    h.fake.setTiming({ session: { polls: 50 } });
    const res = await h.request('POST', '/v1/runtimes/chat-dev/reset', {});
    h.clock.advance(1);
    await h.app.engine.tick();
    h.fake.sessions.sessions.delete('chat-dev');
    await h.sync();
    expect(await runtime('chat-dev')).toMatchObject({ status: 'Resetting', activeOperation: { id: res.json.id } });
    h.fake.setTiming({ session: { polls: 1 } });
    await h.finish(res.json.id);
    await h.sync();
    expect((await h.request('GET', '/v1/runtimes/chat-dev')).status).toBe(404);
  });
});

describe('azureml provider: sync across replicas', () => {
  it("should publish what a replica's start-up sync found, so that every replica's reads show it", async () => {
    h.fake.addComputeInstance({ name: 'ci-y' });
    h.fake.addRuntime({ name: 'found-at-start', computeInstanceName: 'ci-y', customAppName: 'app-y' });
    // A second replica starts on the same storage: its start-up sync writes the record.
    const second = createRuntimeServiceApp({ ...h.options, log: createLogger('silent') });
    const secondUrl = await second.start();
    try {
      expect((await sendRequest(secondUrl, 'GET', '/v1/runtimes/found-at-start')).json.status).toBe('Running');
      await h.app.readModel.catchUp();
      expect((await h.request('GET', '/v1/runtimes/found-at-start')).status).toBe(404); // nothing said so yet

      await second.engine.sweep(); // its first sweep publishes what the start-up sync found
      await second.events.settled();
      await h.app.readModel.catchUp();
      expect(await runtime('found-at-start')).toMatchObject({ status: 'Running', computeInstanceName: 'ci-y' });
    } finally {
      second.server.server.closeAllConnections();
      await second.stop();
    }
  });
});

describe('azureml provider: throttling, refusals and outages', () => {
  it('should retry a 429 after its Retry-After', async () => {
    h.fake.inject({ method: 'POST', pathIncludes: '/FlowSessions/', status: 429, retryAfterSeconds: 2, times: 1 });
    const op = await run('PUT', '/v1/runtimes/chat-dev', automatic());
    expect(op.status).toBe('Succeeded');
    expect(h.fake.callsTo('FlowSessions_CreateFlowSession')).toHaveLength(2);
    expect(h.sleeps).toContain(2000);
  });

  it('should name the missing role on 403, and the credentials on 401', async () => {
    await h.close();
    h = await startHarness({ withoutRole: true });
    const op = await run('PUT', '/v1/runtimes/chat-dev', automatic());
    expect(op.status).toBe('Failed');
    expect(op.error.message).toMatch(/needs the AzureML Data Scientist role on workspace ws-promptflow/);
    h.fake.principalsWithoutRole.clear();
    h.fake.inject({ status: 401, times: 4 });
    const op401 = await run('PUT', '/v1/runtimes/chat-two', automatic());
    expect(op401.error.message).toMatch(/did not accept the bot's credentials \(401\)/);
  });

  it('should open the circuit when Azure is down, show it in /readyz, and close it when Azure is back', async () => {
    expect((await sendRequest(h.url, 'GET', '/readyz')).json).toMatchObject({
      status: 'ok',
      provider: { name: 'azureml', ok: true, detail: expect.stringMatching(/circuit closed/) },
    });
    h.fake.down = true;
    await h.sync(); // the list GET fails 3 times in a row
    const ready = await sendRequest(h.url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.provider.detail).toMatch(/circuit open after 3 consecutive failures; next probe in 30 s/);
    expect(ready.json.provider.detail).toMatch(/last sync 0 s ago failed: Azure ML failed 3 times in a row/);
    const calls = h.fake.calls.length;
    const res = await h.request('PUT', '/v1/runtimes/chat-dev', automatic());
    h.clock.advance(1);
    await h.app.engine.tick();
    expect(h.fake.calls.length).toBe(calls); // fails fast: nothing reaches Azure
    const waiting = (await h.request('GET', `/v1/operations/${res.json.id}`)).json;
    expect(waiting.steps.at(-1).message).toMatch(/paused its calls for \d+ seconds; try again shortly/);
    h.fake.down = false;
    const op = await h.finish(res.json.id);
    expect(op.status).toBe('Succeeded');
    expect((await sendRequest(h.url, 'GET', '/readyz')).json.provider.detail).toMatch(/circuit closed/);
  });

  it('should check, not repeat, a create whose answer was lost (a 503 on the POST)', async () => {
    h.fake.inject({ method: 'POST', pathIncludes: '/FlowSessions/', status: 503, times: 1 });
    const op = await run('PUT', '/v1/runtimes/chat-dev', automatic());
    expect(op.status).toBe('Succeeded');
    expect(h.fake.callsTo('FlowSessions_GetFlowSession').length).toBeGreaterThan(0);
    expect(h.fake.callsTo('FlowSessions_CreateFlowSession').map((c) => c.status)).toEqual([503, 202]);
    h.fake.inject({ method: 'POST', pathIncludes: '/FlowRuntimes/mir-rt', status: 504, times: 1 });
    const body = {
      type: 'managedOnlineDeployment',
      endpointName: 'ep-two',
      deploymentName: 'green',
      instanceType: 'Standard_E4ds_v4',
    };
    expect((await run('PUT', '/v1/runtimes/mir-rt', body)).status).toBe('Succeeded');
    expect(h.fake.callsTo('FlowRuntimes_CreateRuntime').map((c) => c.status)).toEqual([504, 200]);
  });

  it('should fail an operation that Azure does not finish in time, saying so', async () => {
    await run('PUT', '/v1/runtimes/chat-dev', automatic());
    h.fake.setTiming({ session: { polls: 100_000 } });
    const op = await run('POST', '/v1/runtimes/chat-dev/reset', {});
    expect(op.status).toBe('Failed');
    expect(op.error).toMatchObject({ code: 'OperationTimedOut' });
    expect(op.error.message).toMatch(/The reset of chat-dev did not finish within 10 minutes.*Azure ML studio/);
  });

  it('should get tokens once at start and not on the request path', async () => {
    const fetches = h.tokens.tokenFetches();
    expect(fetches).toBe(2);
    await run('PUT', '/v1/runtimes/chat-dev', automatic());
    await h.sync();
    expect(h.tokens.tokenFetches()).toBe(fetches);
    expect(h.logs.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
