import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/clock';
import { FakeAzureMl, type FakeAzureMlOptions } from '../../../helpers/azureml/fakeAzureMl';
import { OpenApiSpec } from '../../../helpers/azureml/openapi';
import { loadFixture, relativePath } from '../../../helpers/azureml/replay';
import { AML_SCOPE, ARM_SCOPE, TokenEndpoint } from '../../../helpers/azureml/tokenEndpoint';

const spec = OpenApiSpec.load();

describe('fake Azure ML prompt flow API', () => {
  let tokens: TokenEndpoint;
  let fake: FakeAzureMl;
  let ws: string;
  let arm: string;
  let aml: string;

  beforeAll(async () => {
    tokens = new TokenEndpoint();
    await tokens.start();
    arm = tokens.issue(undefined, ARM_SCOPE);
    aml = tokens.issue(undefined, AML_SCOPE);
  });
  afterAll(async () => tokens.close());

  async function startFake(options: Partial<FakeAzureMlOptions> = {}): Promise<void> {
    await fake?.close();
    fake = new FakeAzureMl({ tokens, ...options });
    ws = (await fake.start()).workspacePath;
  }
  beforeEach(async () => startFake());
  afterEach(async () => fake.close());

  interface Sent {
    body?: unknown;
    token?: string | null;
    userToken?: string;
    headers?: Record<string, string>;
  }
  async function call(method: string, path: string, sent: Sent = {}) {
    const headers: Record<string, string> = { ...sent.headers };
    const token = sent.token === undefined ? arm : sent.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (sent.userToken) headers['aml-user-token'] = sent.userToken;
    if (sent.body !== undefined) headers['content-type'] = 'application/json';
    const url = path.startsWith('http') ? path : `${fake.info.baseUrl}${path}`;
    const res = await fetch(url, {
      method,
      headers,
      body: sent.body === undefined ? undefined : JSON.stringify(sent.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  const seedCi = (state: 'Running' | 'Stopped' = 'Running') =>
    fake.addComputeInstance({ name: 'ci-alex', state, ownerObjectId: tokens.defaultClient.objectId });
  const createCiRuntime = (name = 'rt-ci') =>
    call('POST', `${ws}/FlowRuntimes/${name}?asyncCall=true`, {
      body: {
        runtimeType: 'ComputeInstance',
        computeInstanceName: 'ci-alex',
        environment: 'azureml://env/1',
        instanceType: '',
      },
    });

  it('should accept a token that a real ClientSecretCredential got from the token endpoint', async () => {
    const credential = tokens.credential();
    const token = await credential.getToken(ARM_SCOPE);
    const res = await call('GET', `${ws}/FlowRuntimes`, {
      token: token!.token,
      headers: { 'x-ms-client-request-id': 'req-1' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual([]);
    expect(res.headers.get('x-ms-client-request-id')).toBe('req-1');
    expect(tokens.tokenFetches(ARM_SCOPE)).toBeGreaterThanOrEqual(1);
    expect(fake.calls).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `${ws}/FlowRuntimes`,
        status: 200,
        operationId: 'FlowRuntimes_ListRuntimes',
        headers: expect.objectContaining({ authorization: `Bearer ${token!.token}` }),
      }),
    ]);
    expect(fake.violations).toEqual([]);
  });

  it('should answer the discovery URL with the API host', async () => {
    const res = await call('GET', '/discovery', { token: null });
    expect(res.json.api).toBe(fake.info.baseUrl);
    expect(fake.info.discoveryUrl.split('discovery')[0]).toBe(`${fake.info.baseUrl}/`);
  });

  it('should take a CI runtime through Unavailable, Starting, no status when healthy, an update and a delete', async () => {
    seedCi();
    const created = await createCiRuntime();
    expect([created.status, created.headers.get('content-length'), created.json]).toEqual([200, '0', undefined]);
    const read = async () => (await call('GET', `${ws}/FlowRuntimes/rt-ci`)).json;
    expect((await read()).status).toBe('Unavailable');
    expect((await read()).status).toBe('Starting');
    const healthy = await read();
    expect(healthy).not.toHaveProperty('status');
    expect(healthy).toMatchObject({
      dockerImage: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20251211.v2',
      owner: { userObjectId: tokens.defaultClient.objectId },
    });
    expect((await createCiRuntime()).status).toBe(409);

    fake.setComputeInstanceState('ci-alex', 'Stopped');
    expect(await read()).toMatchObject({
      status: 'Unavailable',
      statusMessage: 'Compute instance ci-alex is Stopped.',
    });
    fake.setComputeInstanceState('ci-alex', 'Running');

    fake.setLatestVersion('20260105.v10');
    expect((await call('GET', `${ws}/FlowRuntimes/rt-ci/needUpgrade`)).json).toBe(true);
    const latest = await call('GET', `${ws}/FlowRuntimes/latestConfig`);
    expect(latest.json).toMatchObject({
      baseImage: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20260105.v10',
      version: '20260105.v10',
    });
    expect((await call('GET', '/flow/api/runtimes/latestConfig')).json.version).toBe('20260105.v10');

    // A customized environment keeps its image; back on the default one (none sent), the runtime takes the latest.
    const put = (body: Record<string, unknown>) =>
      call('PUT', `${ws}/FlowRuntimes/rt-ci?asyncCall=true`, { body }).then(() => fake.settle());
    await put({ runtimeDescription: 'x', environment: 'azureml:my-env:2' });
    const updated = await read();
    expect(updated).toMatchObject({ runtimeDescription: 'x', environment: 'azureml:my-env:2' });
    expect(updated).not.toHaveProperty('status');
    expect((await call('GET', `${ws}/FlowRuntimes/rt-ci/needUpgrade`)).json).toBe(true);
    await put({});
    const cleared = await read();
    expect(cleared).not.toHaveProperty('runtimeDescription');
    expect(cleared).not.toHaveProperty('environment');
    expect((await call('GET', `${ws}/FlowRuntimes/rt-ci/needUpgrade`)).json).toBe(false);

    const deleted = await call('DELETE', `${ws}/FlowRuntimes/rt-ci?asyncCall=true`);
    expect([deleted.status, deleted.json]).toEqual([200, undefined]);
    expect((await read()).status).toBe('Stopping');
    expect((await read()).status).toBe('Stopping');
    const gone = await call('GET', `${ws}/FlowRuntimes/rt-ci`);
    expect([gone.status, gone.json.status]).toEqual([200, 'NotExist']);
    expect((await call('GET', `${ws}/FlowRuntimes`)).json).toEqual([expect.objectContaining({ status: 'NotExist' })]);
    expect((await call('GET', `${ws}/FlowRuntimes/rt-ci/needUpgrade`)).status).toBe(404);
    expect((await createCiRuntime()).status).toBe(200);
    expect(fake.violations).toEqual([]);
  });

  it('should hold a write without asyncCall until it is done, and answer 504 past the limit while it goes on', async () => {
    await startFake({ syncWriteLimitMs: 50 });
    seedCi();
    const blocked = await call('POST', `${ws}/FlowRuntimes/rt-ci`, {
      body: { runtimeType: 'ComputeInstance', computeInstanceName: 'ci-alex' },
    });
    expect(blocked.status).toBe(504);
    expect(blocked.json.error.code).toBe('TransientError');
    expect(fake.runtimes.runtimes.get('rt-ci')?.status).toBe('Unavailable');

    await startFake({ runtimeTiming: {} });
    seedCi();
    const quick = await call('POST', `${ws}/FlowRuntimes/rt-ci`, {
      body: { runtimeType: 'ComputeInstance', computeInstanceName: 'ci-alex' },
    });
    expect(quick.status).toBe(200);
    expect(quick.json).toMatchObject({ runtimeName: 'rt-ci' });
    expect(quick.json).not.toHaveProperty('status');
    expect(fake.violations).toEqual([]);
  });

  it('should refuse a CI runtime on a stopped or foreign compute instance, and check CI availability', async () => {
    seedCi('Stopped');
    fake.addComputeInstance({ name: 'ci-megan', ownerObjectId: 'someone-else' });
    const stopped = await createCiRuntime();
    expect(stopped.status).toBe(400);
    expect(stopped.json.error.innerError.code).toBe('ComputeInstanceNotRunning');
    const foreign = await call('POST', `${ws}/FlowRuntimes/rt2?asyncCall=true`, {
      body: { runtimeType: 'ComputeInstance', computeInstanceName: 'ci-megan' },
    });
    expect(foreign.status).toBe(403);
    const availability = await call(
      'GET',
      `${ws}/FlowRuntimes/checkCiAvailability?computeInstanceName=ci-alex&customAppName=app`,
    );
    expect(availability.json).toMatchObject({
      isAvailable: false,
      error: { error: { message: expect.stringMatching(/Stopped/) } },
    });
    expect(fake.violations).toEqual([]);
  });

  it('should create a MIR runtime, and pass an undocumented status through', async () => {
    await startFake({ runtimeTiming: {} });
    const mir = await call('POST', `${ws}/FlowRuntimes/rt-mir?asyncCall=true`, {
      body: {
        runtimeType: 'ManagedOnlineEndpoint',
        endpointName: 'ep',
        deploymentName: 'blue',
        instanceType: 'Standard_DS3_v2',
        instanceCount: 2,
      },
    });
    expect(mir.status).toBe(200);
    expect((await call('GET', `${ws}/FlowRuntimes/rt-mir`)).json).toMatchObject({
      instanceCount: 2,
      endpointUrl: expect.stringContaining('ep.eastus'),
    });
    const taken = await call('GET', `${ws}/FlowRuntimes/checkMirAvailability?endpointName=ep&deploymentName=blue`);
    expect(taken.json.isAvailable).toBe(false);
    fake.setRuntimeStatus('rt-mir', 'SomethingNew', { statusMessage: 'who knows' });
    const list = await call('GET', `${ws}/FlowRuntimes`);
    expect(list.json).toEqual([
      expect.objectContaining({ runtimeName: 'rt-mir', status: 'SomethingNew', statusMessage: 'who knows' }),
    ]);
    fake.setRuntimeStatus('rt-mir', 'Failed', { error: 'Deployment blue failed: quota exceeded' });
    const failed = await call('GET', `${ws}/FlowRuntimes/rt-mir`);
    expect(failed.json.error.error.message).toBe('Deployment blue failed: quota exceeded');
    const missing = await call('POST', `${ws}/FlowRuntimes/rt-x?asyncCall=true`, {
      body: { runtimeType: 'ManagedOnlineEndpoint' },
    });
    expect(missing.status).toBe(400);
    expect(fake.violations).toEqual([]);
  });

  it('should answer every implemented GET route within the document', async () => {
    seedCi();
    fake.addRuntime({ name: 'old', computeInstanceName: 'ci-alex', imageTag: '20240429.v8' });
    const created = await call('POST', `${ws}/FlowSessions/s1`, { userToken: aml, body: { action: 'Install' } });
    const poll = created.headers.get('azure-asyncoperation')!;
    fake.settle();
    const paths = [
      `${ws}/FlowRuntimes`,
      `${ws}/FlowRuntimes/old`,
      `${ws}/FlowRuntimes/old/needUpgrade`,
      `${ws}/FlowRuntimes/old/capability`,
      `${ws}/FlowRuntimes/latestConfig`,
      `${ws}/FlowRuntimes/checkCiAvailability?computeInstanceName=ci-alex&customAppName=new-app`,
      `${ws}/FlowRuntimes/checkMirAvailability?endpointName=ep&deploymentName=blue`,
      '/flow/api/runtimes/latestConfig',
      `${ws}/FlowSessions/s1`,
      `${ws}/FlowSessions/s1/pipPackages`,
      `${ws}/FlowSessions/standbypools`,
      poll,
    ];
    const answers = await Promise.all(paths.map((p) => call('GET', p)));
    expect(answers.map((a) => a.status)).toEqual(paths.map(() => 200));
    expect(answers[2].json).toBe(true);
    expect(answers[5].json).toEqual({ isAvailable: true });
    const unknownOp = await call('GET', poll.replace(/operations\/[^?]+/, `operations/${'0'.repeat(36)}`));
    expect(unknownOp.status).toBe(404);
    expect(fake.responseErrors).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('should record requests that break the API document as violations and answer 400/404/405', async () => {
    const bad = await call('POST', `${ws}/FlowRuntimes/rt?asynccall=true`, {
      body: { runtimeType: 'ComputeInstance', computeInstanceName: 5, bogus: true },
    });
    expect(bad.status).toBe(400);
    expect(spec.schemaProblems('ErrorResponse', bad.json)).toEqual([]);
    const badSub = await call('GET', ws.replace(fake.config.subscriptionId, 'not-a-uuid') + '/FlowRuntimes');
    const unknownPath = await call('GET', `${ws}/FlowRuntime`);
    const wrongMethod = await call('PATCH', `${ws}/FlowRuntimes/rt`, { body: {} });
    expect([badSub.status, unknownPath.status, wrongMethod.status]).toEqual([400, 404, 405]);
    expect(fake.violations).toHaveLength(4);
    expect(fake.violations[0]).toMatchObject({ operationId: 'FlowRuntimes_CreateRuntime' });
    expect(fake.violations[0].problems).toEqual([
      'query must NOT have additional properties "asynccall"',
      'body must NOT have additional properties "bogus"',
      'body/computeInstanceName must be string',
    ]);
    expect(fake.violations[1].problems).toEqual(['path/subscriptionId must match format "uuid"']);
  });

  it('should answer the recorded session create as it was recorded: an empty 202, a poll URL, then Succeeded', async () => {
    const fixture = loadFixture('flowsessions-install.json');
    const [create, poll] = fixture.exchanges;
    const session = relativePath(create.request.uri).session!;
    const created = await call('POST', `${ws}/FlowSessions/${session}`, {
      userToken: aml,
      body: JSON.parse(create.request.body!),
    });
    expect(created.status).toBe(create.response.status);
    expect(created.headers.get('content-length')).toBe(create.response.headers['content-length']);
    const url = created.headers.get('azure-asyncoperation')!;
    // The same URL, on this host and workspace: the service's action segment (Reset), a location, a GUID, the query.
    const shape = (u: string) =>
      relativePath(u).path.replace(/\/locations\/[^/]+\/operations\/[0-9a-f-]{36}$/, '/locations/{l}/operations/{id}');
    expect(shape(url)).toBe(shape(create.response.headers['azure-asyncoperation']));
    expect(new URL(url).search).toBe(new URL(create.response.headers['azure-asyncoperation']).search);
    expect(url.startsWith(fake.info.workspaceUrl)).toBe(true);
    let answer = await call('GET', url);
    for (let i = 0; i < 5 && answer.json.status === 'InProgress'; i++) answer = await call('GET', url);
    expect(answer.status).toBe(poll.response.status);
    expect(answer.json).toEqual(JSON.parse(poll.response.body));
    expect(fake.violations).toEqual([]);
  });

  it('should show a session ready only in its operation, let an Install join it, and refuse other actions meanwhile', async () => {
    const sessionId = 'a'.repeat(48);
    const body = {
      action: 'Install',
      pythonPipRequirements: ['requests==2.31.0', 'tiktoken'],
      vmSize: 'Standard_E4ds_v4',
      maxIdleTimeSeconds: 3600,
    };
    const created = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body });
    expect(created.status).toBe(202);
    const poll = created.headers.get('azure-asyncoperation')!;
    expect(poll).toMatch(
      new RegExp(
        `^${fake.info.workspaceUrl}/FlowSessions/${sessionId}/Reset/locations/eastus/operations/[0-9a-f-]{36}\\?api-version=2021-03-01-preview&type=location$`,
      ),
    );
    // The compute is ready before the session is.
    const early = await call('GET', `${ws}/FlowSessions/${sessionId}`);
    expect(early.json.compute.properties.provisioningState).toBe('Succeeded');
    expect(early.json.properties.application.setupResults).toEqual([]);
    const joined = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body });
    expect([joined.status, joined.headers.get('azure-asyncoperation')]).toEqual([202, poll]);
    const busy = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body: { action: 'Reset' } });
    expect(busy.status).toBe(409);
    expect(spec.schemaProblems('ErrorResponse', busy.json)).toEqual([]);
    expect((await call('GET', poll)).json).toEqual({ status: 'InProgress' });
    expect((await call('GET', poll)).json).toEqual({ status: 'Succeeded' });
    const session = await call('GET', `${ws}/FlowSessions/${sessionId}`);
    expect(session.json.properties).toMatchObject({
      sessionId,
      vmSize: 'Standard_E4ds_v4',
      userObjectId: tokens.defaultClient.objectId,
      application: { setupResults: [expect.objectContaining({ exitCode: 0 })] },
    });
    expect((await call('GET', `${ws}/FlowSessions/${sessionId}/pipPackages`)).json).toMatch(/^requests==2\.31\.0$/m);
    const again = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body });
    expect([again.status, again.json]).toEqual([200, undefined]);
    const noAction = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body: {} });
    expect(noAction.status).toBe(400);

    // A Reset recreates the session from what it is sent: without the lines, none are installed.
    const reset = await call('POST', `${ws}/FlowSessions/${sessionId}`, { userToken: aml, body: { action: 'Reset' } });
    expect(reset.status).toBe(202);
    fake.settle();
    expect(fake.sessions.sessions.get(sessionId)?.requirements).toEqual([]);

    const stop = await call('DELETE', `${ws}/FlowSessions/${sessionId}`);
    expect(stop.status).toBe(202);
    fake.settle();
    expect((await call('GET', stop.headers.get('azure-asyncoperation')!)).json).toEqual({ status: 'Succeeded' });
    expect((await call('GET', `${ws}/FlowSessions/${sessionId}`)).status).toBe(404);
    expect(fake.violations).toEqual([]);
  });

  it('should fail an install of a bad requirement with pip output, and pass pip warnings on success', async () => {
    await startFake({ sessionTiming: { polls: 1 } });
    const install = async (id: string, lines: string[]) => {
      const res = await call('POST', `${ws}/FlowSessions/${id}`, {
        userToken: aml,
        body: { action: 'Install', pythonPipRequirements: lines },
      });
      return (await call('GET', res.headers.get('azure-asyncoperation')!)).json;
    };
    const failed = await install('s-bad', ['requests', 'nosuchpkg==1.0']);
    expect(failed.status).toBe('Failed');
    expect(failed.error.message).toBe(
      'ERROR: Could not find a version that satisfies the requirement nosuchpkg==1.0 (from versions: none)\nERROR: No matching distribution found for nosuchpkg==1.0',
    );
    const warned = await install('s-pin', ['promptflow==1.16.0']);
    expect(warned.status).toBe('Succeeded');
    expect(warned.error.message).toMatch(/dependency conflicts[\s\S]*promptflow 1\.16\.0 which is incompatible/);
    const feed = await install('s-feed', [
      '-i https://user:s3cret@pkgs.example.com/simple',
      'private-lib==2.0',
      'https://user:s3cret@pkgs.example.com/not a requirement',
    ]);
    expect(feed.error.message).toBe("ERROR: Invalid requirement: 'https://****@pkgs.example.com/not a requirement'");
    expect(JSON.stringify(fake.calls.map((c) => c.status))).not.toContain('500');
    expect(fake.violations).toEqual([]);
  });

  it('should finish session operations by time on an injected clock', async () => {
    const clock = new FakeClock();
    await startFake({ clock, sessionTiming: { ms: 5_000 } });
    const res = await call('POST', `${ws}/FlowSessions/s1`, { userToken: aml, body: { action: 'Install' } });
    const poll = res.headers.get('azure-asyncoperation')!;
    expect((await call('GET', poll)).json.status).toBe('InProgress');
    clock.advance(5_000);
    expect((await call('GET', poll)).json.status).toBe('Succeeded');
    clock.advance(3_601_000); // idle shutdown after maxIdleTimeSeconds (default 3600)
    expect((await call('GET', `${ws}/FlowSessions/s1`)).status).toBe(404);
  });

  it('should answer 401 without a valid token or without the aml-user-token on session create', async () => {
    const none = await call('GET', `${ws}/FlowRuntimes`, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(spec.schemaProblems('ErrorResponse', none.json)).toEqual([]);
    expect((await call('GET', `${ws}/FlowRuntimes`, { token: 'made-up' })).status).toBe(401);
    expect((await call('GET', `${ws}/FlowRuntimes`, { token: aml })).json.error.innerError.code).toBe(
      'InvalidAudience',
    );
    const noUserToken = await call('POST', `${ws}/FlowSessions/s1`, { body: {} });
    expect(noUserToken.status).toBe(401);
    expect(noUserToken.json.error.message).toMatch(/aml-user-token/);
    const shortLived = tokens.issue(undefined, ARM_SCOPE);
    tokens.expire(shortLived);
    const expired = await call('GET', `${ws}/FlowRuntimes`, { token: shortLived });
    expect(expired.json.error.innerError.code).toBe('ExpiredAuthenticationToken');
    expect(fake.violations).toEqual([]);
  });

  it('should answer 403 naming the missing permission for a principal without the AzureML Data Scientist role', async () => {
    const other = tokens.addClient({ clientId: 'no-role-app', clientSecret: 'pw' });
    await startFake({ principalsWithoutRole: [other.clientId] });
    const res = await call('GET', `${ws}/FlowRuntimes`, { token: tokens.issue(other.clientId) });
    expect(res.status).toBe(403);
    expect(spec.schemaProblems('ErrorResponse', res.json)).toEqual([]);
    expect(res.json.error).toMatchObject({ code: 'UserError', innerError: { code: 'AuthorizationFailed' } });
    expect(res.json.error.message).toMatch(
      /^The client 'no-role-app' with object id '.+' does not have authorization to perform action 'Microsoft\.MachineLearningServices\/workspaces\/flows\/runtimes\/read' over scope '\/subscriptions\/.+\/workspaces\/ws-promptflow'.*AzureML Data Scientist/,
    );
    expect((await call('GET', `${ws}/FlowRuntimes`)).status).toBe(200);
  });

  it('should inject 429 with Retry-After for the matching requests only, then recover', async () => {
    fake.inject({ method: 'GET', pathIncludes: '/FlowRuntimes', status: 429, retryAfterSeconds: 7, times: 2 });
    const first = await call('GET', `${ws}/FlowRuntimes`);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json.error.code).toBe('RequestThrottled');
    expect(spec.schemaProblems('ErrorResponse', first.json)).toEqual([]);
    expect((await call('GET', '/flow/api/runtimes/latestConfig')).status).toBe(200);
    expect((await call('GET', `${ws}/FlowRuntimes`)).status).toBe(429);
    expect((await call('GET', `${ws}/FlowRuntimes`)).status).toBe(200);
    fake.inject({ status: 503 });
    const unavailable = await call('GET', `${ws}/FlowRuntimes`);
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '1']);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 200, 429, 200, 503]);
  });

  it('should answer 503 while down, or drop the connection', async () => {
    fake.down = true;
    expect((await call('GET', `${ws}/FlowRuntimes`)).status).toBe(503);
    fake.down = 'reset';
    await expect(call('GET', `${ws}/FlowRuntimes`)).rejects.toThrow();
    fake.down = false;
    expect((await call('GET', `${ws}/FlowRuntimes`)).status).toBe(200);
    expect(fake.calls.map((c) => c.status)).toEqual([503, 0, 200]);
  });

  it('should answer 404 for another workspace', async () => {
    const res = await call('GET', `${ws.replace('ws-promptflow', 'other-ws')}/FlowRuntimes`);
    expect(res.status).toBe(404);
    expect(res.json.error.innerError.code).toBe('WorkspaceNotFound');
  });

  it('should fail loudly when the fake itself answers against the API document', async () => {
    fake.addRuntime({ name: 'broken', instanceCount: 1.5 });
    const res = await call('GET', `${ws}/FlowRuntimes/broken`);
    expect(res.status).toBe(500);
    await expect(fake.close()).rejects.toThrow(/instanceCount must be integer/);
    fake.responseErrors.length = 0;
  });
});
