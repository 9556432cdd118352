/**
 * The azureml provider against the service as it behaves, not as the provider would like it: each test is one
 * fact from a recorded exchange or a public caller (test/fixtures/azureml/README.md), or the unkind option where
 * nothing shows the truth, and each failed on the provider before it learned that fact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../../helpers/azureml/harness';
import { loadFixture } from '../../../helpers/azureml/replay';

const OLD = '20240429.v8';
const LATEST = '20251211.v2';
const STABLE = 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  h.fake.addComputeInstance({ name: 'ci-bot', ownerObjectId: h.tokens.defaultClient.objectId });
});

afterEach(async () => {
  expect(h.fake.violations).toEqual([]);
  await h.close();
});

const ciRuntime = { type: 'computeInstance', computeInstanceName: 'ci-bot', customApplication: { mode: 'new' } };
const runtimeWrites = () =>
  ['FlowRuntimes_CreateRuntime', 'FlowRuntimes_UpdateRuntime', 'FlowRuntimes_DeleteRuntime'].flatMap((id) =>
    h.fake.callsTo(id),
  );

describe('compute instance and deployment runtimes (FlowRuntimes)', () => {
  it('should show a healthy runtime, which has no status, as Running, also one made outside the bot', async () => {
    h.fake.addRuntime({ name: 'from-studio', computeInstanceName: 'ci-bot', customAppName: 'studio-app' });
    await h.sync();
    expect(await h.runtime('from-studio')).toMatchObject({ status: 'Running' });

    const created = await h.run('PUT', '/v1/runtimes/ci-rt', ciRuntime);
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    expect(await h.runtime('ci-rt')).toMatchObject({ status: 'Running', imageVersion: LATEST });
    expect(created.steps.map((s: { message: string }) => s.message).join('\n')).toMatch(/ci-rt is Unavailable/);
  });

  it('should send every write with asyncCall=true, as public callers do, so that none waits for the change', async () => {
    const callers = loadFixture('flowruntimes-callers.json') as unknown as {
      callers: { request: { method: string; query: Record<string, string> } }[];
    };
    const asyncWrites = callers.callers
      .filter((c) => c.request.query.asyncCall === 'true')
      .map((c) => c.request.method);
    expect(asyncWrites.sort()).toEqual(['DELETE', 'POST']);

    expect((await h.run('PUT', '/v1/runtimes/ci-rt', ciRuntime)).status).toBe('Succeeded');
    expect((await h.run('PATCH', '/v1/runtimes/ci-rt', { description: 'for the demo' })).status).toBe('Succeeded');
    expect((await h.run('POST', '/v1/runtimes/ci-rt/stop', {})).status).toBe('Succeeded');
    expect(runtimeWrites().map((c) => [c.method, c.query.asyncCall, c.status])).toEqual([
      ['POST', 'true', 200],
      ['PUT', 'true', 200],
      ['DELETE', 'true', 200],
    ]);
  });

  it('should take an empty answer to a write as accepted, and read the runtime to follow it', async () => {
    const created = await h.run('PUT', '/v1/runtimes/ci-rt', ciRuntime);
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    const write = h.fake.callsTo('FlowRuntimes_CreateRuntime')[0];
    expect([write.status, write.responseBody]).toEqual([200, undefined]);
    expect(h.fake.callsTo('FlowRuntimes_GetRuntime').length).toBeGreaterThan(0);
  });

  it('should wait through Unavailable while a runtime starts, and say so when it never comes up', async () => {
    expect((await h.run('PUT', '/v1/runtimes/ci-rt', ciRuntime)).status).toBe('Succeeded');

    h.fake.setComputeInstanceState('ci-bot', 'Stopped');
    const stuck = await h.run('PATCH', '/v1/runtimes/ci-rt', { description: 'while its instance is stopped' });
    expect(stuck.status).toBe('Failed');
    expect(stuck.error.code).toBe('OperationTimedOut');
    expect(stuck.error.message).toMatch(
      /did not finish within 10 minutes\. Azure ML last reported it as Unavailable \(Compute instance ci-bot is Stopped\.\)/,
    );
  });

  it('should finish a stop when the runtime reads 200 NotExist, not wait for a 404 that does not come', async () => {
    expect((await h.run('PUT', '/v1/runtimes/ci-rt', ciRuntime)).status).toBe('Succeeded');
    const stopped = await h.run('POST', '/v1/runtimes/ci-rt/stop', {});
    expect(stopped.status, JSON.stringify(stopped.error)).toBe('Succeeded');
    expect((await h.request('GET', '/v1/runtimes/ci-rt')).status).toBe(404);
    const reads = h.fake.callsTo('FlowRuntimes_GetRuntime').filter((c) => c.status === 404);
    expect(reads).toEqual([]);

    await h.sync(); // the list still has it, as NotExist: it stays gone
    expect((await h.request('GET', '/v1/runtimes/ci-rt')).status).toBe(404);
  });

  it('should reset with the description, environment and instance count it has, as the update script sends them', async () => {
    const env = 'azureml://locations/eastus/workspaces/0000/environments/team-env/versions/3';
    h.fake.addRuntime({
      name: 'team-rt',
      computeInstanceName: 'ci-bot',
      customAppName: 'team-app',
      description: 'Made in the studio',
      environment: env,
    });
    h.fake.addRuntime({
      name: 'mir-rt',
      runtimeType: 'ManagedOnlineEndpoint',
      endpointName: 'ep',
      deploymentName: 'blue',
      description: 'Serves the demo',
      instanceCount: 2,
    });
    await h.sync();
    expect((await h.run('POST', '/v1/runtimes/team-rt/reset', {})).status).toBe('Succeeded');
    expect((await h.run('PATCH', '/v1/runtimes/mir-rt', { instanceCount: 3 })).status).toBe('Succeeded');

    const callers = loadFixture('flowruntimes-callers.json') as unknown as {
      callers: { path: string; request: { method: string; body?: Record<string, unknown> } }[];
    };
    const script = callers.callers.find((c) => c.path === 'scripts/runtime_mgmt/update-runtime.py')!;
    const fields = Object.keys(script.request.body!).sort();
    const puts = h.fake.callsTo('FlowRuntimes_UpdateRuntime').map((c) => c.body as Record<string, unknown>);
    expect(puts).toEqual([
      { runtimeDescription: 'Made in the studio', environment: env },
      { runtimeDescription: 'Serves the demo', instanceCount: 3 },
    ]);
    for (const body of puts) expect(fields).toEqual(expect.arrayContaining(Object.keys(body)));
    expect(h.fake.runtimes.get('team-rt')).toMatchObject({ description: 'Made in the studio', environment: env });
    expect(h.fake.runtimes.get('mir-rt')).toMatchObject({ description: 'Serves the demo', instanceCount: 3 });
  });

  it('should upgrade a runtime on the default environment with the fields it has, and name the image for a customized one', async () => {
    h.fake.addRuntime({
      name: 'old-rt',
      computeInstanceName: 'ci-bot',
      customAppName: 'old-app',
      description: 'Made in the studio',
      imageTag: OLD,
    });
    const env = 'azureml://locations/eastus/workspaces/0000/environments/team-env/versions/3';
    h.fake.addRuntime({
      name: 'team-rt',
      computeInstanceName: 'ci-bot',
      customAppName: 'team-app',
      environment: env,
      imageTag: OLD,
    });
    await h.sync();
    const upgraded = await h.run('POST', '/v1/runtimes/old-rt/upgrade', {});
    expect(upgraded.status, JSON.stringify(upgraded.error)).toBe('Succeeded');
    expect(h.fake.runtimes.get('old-rt')).toMatchObject({ description: 'Made in the studio', imageTag: LATEST });
    expect(await h.runtime('old-rt')).toMatchObject({ imageVersion: LATEST, status: 'Running' });

    const refused = await h.run('POST', '/v1/runtimes/team-rt/upgrade', {});
    expect(refused.status).toBe('Failed');
    expect(refused.error.message).toContain(`${STABLE}:${LATEST}`);
    expect(refused.error.message).toMatch(
      /customized environment .*team-env.*Rebuild that environment FROM .+, then update team-rt with it\./,
    );
    expect(h.fake.runtimes.get('team-rt')).toMatchObject({ environment: env, imageTag: OLD });
    expect(h.fake.callsTo('FlowRuntimes_GetRuntimeLatestConfig')).toHaveLength(1);
  });
  it('should refuse to move a runtime back to the default environment, which has no asset id to send', async () => {
    const env = 'azureml://locations/eastus/workspaces/0000/environments/team-env/versions/3';
    h.fake.addRuntime({ name: 'team-rt', computeInstanceName: 'ci-bot', customAppName: 'team-app', environment: env });
    await h.sync();
    const res = await h.request('PATCH', '/v1/runtimes/team-rt', { environment: { mode: 'default' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).toMatch(/switch team-rt back to it in Azure ML studio/);
    expect(h.fake.callsTo('FlowRuntimes_UpdateRuntime')).toEqual([]);
  });
});

describe('automatic runtimes (FlowSessions)', () => {
  const automatic = { type: 'automatic', vmSize: 'Standard_E4ds_v4', requirements: 'requests==2.32.3\n' };

  it('should call a session ready when its operation is, not when its compute is', async () => {
    h.fake.setTiming({ session: { polls: 3 } });
    // The create reaches Azure; its answer does not come back.
    h.fake.inject({ method: 'POST', pathIncludes: '/FlowSessions/', status: 504, afterHandling: true });
    const res = await h.request('PUT', '/v1/runtimes/chat-dev', automatic);
    let op: any;
    for (let i = 0; i < 40; i++) {
      h.clock.advance(64_000);
      await h.app.engine.tick();
      op = await h.app.engine.getOperation(res.json.id);
      if (op.status === 'Succeeded' || op.status === 'Failed') break;
      expect(await h.runtime('chat-dev')).not.toMatchObject({ status: 'Running' });
    }
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const session = h.fake.sessions.sessions.get('chat-dev')!;
    expect(session.operation).toBeUndefined();
    expect(session.lastSetup?.exitCode).toBe(0);
    expect(await h.runtime('chat-dev')).toMatchObject({ status: 'Running', packagesInstalled: true });
  });

  it('should not let the sync call a session Running from its compute after a stop that ran out of time', async () => {
    expect((await h.run('PUT', '/v1/runtimes/chat-dev', automatic)).status).toBe('Succeeded');
    h.fake.setTiming({ session: { polls: 100_000 } });
    const stop = await h.run('POST', '/v1/runtimes/chat-dev/stop', {});
    expect(stop.error.code).toBe('OperationTimedOut');
    expect(await h.runtime('chat-dev')).toMatchObject({ status: 'Stopping' });
    await h.sync();
    expect(await h.runtime('chat-dev')).toMatchObject({ status: 'Stopping' });
    h.fake.settle();
    await h.sync();
    expect((await h.request('GET', '/v1/runtimes/chat-dev')).status).toBe(404);
  });

  it('should reset with the full request, then install, as the SDK did', async () => {
    expect((await h.run('PUT', '/v1/runtimes/chat-dev', automatic)).status).toBe('Succeeded');
    h.fake.sessions.sessions.get('chat-dev')!.requirements = ['something-else'];
    const reset = await h.run('POST', '/v1/runtimes/chat-dev/reset', {});
    expect(reset.status, JSON.stringify(reset.error)).toBe('Succeeded');
    const [resetBody, installBody] = h.fake
      .callsTo('FlowSessions_CreateFlowSession')
      .slice(-2)
      .map((c) => c.body);
    expect(resetBody).toMatchObject({
      action: 'Reset',
      vmSize: 'Standard_E4ds_v4',
      maxIdleTimeSeconds: 3600,
      pythonPipRequirements: ['requests==2.32.3'],
    });
    expect(installBody).toEqual({ ...(resetBody as object), action: 'Install' });
    expect(h.fake.sessions.sessions.get('chat-dev')?.requirements).toEqual(['requests==2.32.3']);
    expect(await h.runtime('chat-dev')).toMatchObject({ status: 'Running', packagesInstalled: true });
  });

  it('should reset without lines it cannot send again (a redacted feed token), and say they need installing', async () => {
    expect((await h.run('PUT', '/v1/runtimes/chat-dev', automatic)).status).toBe('Succeeded');
    const feed = '-i https://user:s3cr3t-feed-token@pkgs.example.com/simple\nrequests';
    expect((await h.run('POST', '/v1/runtimes/chat-dev/install', { requirements: feed })).status).toBe('Succeeded');
    const reset = await h.run('POST', '/v1/runtimes/chat-dev/reset', {});
    expect(reset.status, JSON.stringify(reset.error)).toBe('Succeeded');
    expect(reset.steps.at(-1).message).toMatch(/private feed token, so install them again/);
    for (const call of h.fake.callsTo('FlowSessions_CreateFlowSession').slice(-2))
      expect(call.body).not.toHaveProperty('pythonPipRequirements');
    expect(await h.runtime('chat-dev')).toMatchObject({ status: 'Running', packagesInstalled: false });
    expect(JSON.stringify(h.fake.calls.slice(-4).map((c) => c.body))).not.toContain('s3cr3t');
  });

  it('should upgrade a session by a Reset on the latest image, then an Install', async () => {
    const image = `${STABLE}:${OLD}`;
    expect((await h.run('PUT', '/v1/runtimes/chat-old', { ...automatic, baseImage: image })).status).toBe('Succeeded');
    expect((await h.run('POST', '/v1/runtimes/chat-old/upgrade', {})).status).toBe('Succeeded');
    const [reset, install] = h.fake
      .callsTo('FlowSessions_CreateFlowSession')
      .slice(-2)
      .map((c) => c.body);
    expect(reset).toMatchObject({ action: 'Reset', baseImage: `${STABLE}:${LATEST}` });
    expect(install).toEqual({ ...(reset as object), action: 'Install' });
    expect(await h.runtime('chat-old')).toMatchObject({ imageVersion: LATEST, outdated: false });
  });
});
