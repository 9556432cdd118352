/**
 * The HTTP contract, over real HTTP: every route, every error code, and every 2xx JSON body checked
 * against the schema the service itself serves at /v1/openapi.json.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../../src/domain/runtime';
import {
  ACTORS,
  advance,
  automatic,
  createRunning,
  type RequestOptions,
  startTestService,
  type TestResponse,
  type TestService,
  TIMINGS,
} from '../helpers/service';

const DEMO = ['chat-dev', 'ci-alex-runtime', 'legacy-ocr', 'prod-chat', 'rag-eval'];
const PROBLEM_TYPE = /^application\/problem\+json/;

let doc: any;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();

beforeAll(async () => {
  const s = await startTestService();
  doc = (await s.request('GET', '/v1/openapi.json')).json;
  await s.close();
  ajv.addSchema(doc, 'openapi.json');
});

/** Checks a 2xx JSON body against the document's schema for that method, path template and status. */
function expectSchema(res: TestResponse, method: string, template: string): void {
  const key = `${method} ${template} ${res.status}`;
  let validate = validators.get(key);
  if (!validate) {
    const content = doc.paths[template]?.[method.toLowerCase()]?.responses?.[String(res.status)]?.content;
    expect(content?.['application/json'], `no JSON response documented for ${key}`).toBeDefined();
    const pointer = [
      'paths',
      template,
      method.toLowerCase(),
      'responses',
      String(res.status),
      'content',
      'application/json',
      'schema',
    ]
      .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    validate = ajv.getSchema(`openapi.json#/${pointer}`)!;
    validators.set(key, validate);
  }
  const valid = validate(res.json);
  expect(validate.errors ?? [], `${key}: ${res.text.slice(0, 300)}`).toEqual([]);
  expect(valid).toBe(true);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

function expectProblem(res: TestResponse, status: number, code: string, detail?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
  expect(res.json).toMatchObject({ status, code, title: expect.any(String), type: expect.stringContaining(code) });
  expect(res.json.detail.length).toBeGreaterThan(10);
  if (detail) expect(res.json.detail).toMatch(detail);
}

let s: TestService;

/** Every request in this file: a hostile or wrong request must never be answered with a 5xx. */
async function call(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const res = await s.request(method, path, options);
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
  return res;
}

const change = (
  method: string,
  path: string,
  body?: unknown,
  actor: Person = ACTORS.alex,
  headers: Record<string, string> = {},
) => call(method, path, { actor, headers, ...(body !== undefined ? { body } : {}) });

beforeEach(async () => {
  s = await startTestService({ demoData: true });
});

afterEach(async () => {
  // A response can go out and the process still die right after it (see the route tests below).
  await new Promise((resolve) => setImmediate(resolve));
  const uncaught = s.uncaught.map((e) => e.message);
  await s.close();
  expect(uncaught, 'exceptions escaped the request handlers').toEqual([]);
});

describe('GET /v1/runtimes', () => {
  const names = (res: TestResponse) => res.json.value.map((r: { name: string }) => r.name);

  it('should list every runtime by name, matching the schema', async () => {
    const res = await call('GET', '/v1/runtimes');
    expect(res.status).toBe(200);
    expectSchema(res, 'GET', '/v1/runtimes');
    expect(names(res)).toEqual(DEMO);
    expect(res.json.nextPageToken).toBeUndefined();
    expect(res.json.nextLink).toBeUndefined();
  });

  it.each([
    ['status=Failed', ['rag-eval']],
    ['status=running,UNAVAILABLE', ['chat-dev', 'ci-alex-runtime', 'legacy-ocr', 'prod-chat']],
    ['status=Starting', []],
    ['type=computeInstance', ['ci-alex-runtime', 'legacy-ocr']],
    ['type=automatic,managedOnlineDeployment', ['chat-dev', 'prod-chat', 'rag-eval']],
    ['type=automatic&status=Running', ['chat-dev', 'prod-chat']],
  ])('should filter with ?%s', async (q, expected) => {
    const res = await call('GET', `/v1/runtimes?${q}`);
    expect(res.status).toBe(200);
    expectSchema(res, 'GET', '/v1/runtimes');
    expect(names(res)).toEqual(expected);
  });

  it.each([1, 2, 3])('should page through everything with pageSize=%i, following nextLink', async (pageSize) => {
    const seen: string[] = [];
    let link: string | undefined = `/v1/runtimes?pageSize=${pageSize}`;
    let pages = 0;
    while (link) {
      const res = await call('GET', link);
      expect(res.status).toBe(200);
      expectSchema(res, 'GET', '/v1/runtimes');
      expect(res.json.value.length).toBeLessThanOrEqual(pageSize);
      seen.push(...names(res));
      if (res.json.nextLink) {
        expect(new URL(res.json.nextLink, s.url).searchParams.get('pageToken')).toBe(res.json.nextPageToken);
      }
      link = res.json.nextLink;
      pages++;
    }
    expect(seen).toEqual(DEMO);
    expect(pages).toBe(Math.ceil(DEMO.length / pageSize));
  });

  it('should page names with - and _ in one consistent order, each once', async () => {
    for (const name of ['rt-b', 'rt_a', 'rta', 'rt-a', 'RT_b'])
      await change('PUT', `/v1/runtimes/${name}`, automatic());
    const seen: string[] = [];
    for (let link: string | undefined = '/v1/runtimes?pageSize=1'; link;) {
      const res = await call('GET', link);
      seen.push(...names(res));
      link = res.json.nextLink;
    }
    expect(seen.filter((n) => n.toLowerCase().startsWith('rt'))).toEqual(['rt-a', 'rt-b', 'rt_a', 'RT_b', 'rta']);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('should keep the filters in nextLink', async () => {
    const first = await call('GET', '/v1/runtimes?status=Running&pageSize=1');
    const link = new URL(first.json.nextLink, s.url);
    expect(link.searchParams.get('status')).toBe('Running');
    expect(link.searchParams.get('pageSize')).toBe('1');
    const second = await call('GET', first.json.nextLink);
    expect([...names(first), ...names(second)]).toEqual(['chat-dev', 'ci-alex-runtime']);
  });

  it('should take a pageToken as a cursor, so a runtime created meanwhile is not skipped or repeated', async () => {
    const first = await call('GET', '/v1/runtimes?pageSize=2');
    await change('PUT', '/v1/runtimes/aaa-first', automatic()); // sorts before the cursor
    await change('PUT', '/v1/runtimes/zzz-last', automatic()); // sorts after it
    const rest: string[] = [];
    for (let link = first.json.nextLink; link;) {
      const res = await call('GET', link);
      rest.push(...names(res));
      link = res.json.nextLink;
    }
    expect([...names(first), ...rest]).toEqual([...DEMO, 'zzz-last']);
  });

  it.each([
    ['pageSize=0', /pageSize/],
    ['pageSize=501', /pageSize/],
    ['pageSize=abc', /pageSize/],
    ['pageSize=1.5', /pageSize/],
    ['pageSize=', /pageSize/],
    ['pageToken=not-a-token!', /pageToken/],
    ['pageToken=%2F%2F%2F', /pageToken/],
    [`pageToken=${Buffer.from('../etc').toString('base64url')}`, /pageToken/],
    ['type=serverless', /Unknown runtime type "serverless"/],
  ])('should answer ?%s with 400', async (q, detail) => {
    expectProblem(await call('GET', `/v1/runtimes?${q}`), 400, 'bad_request', detail);
  });
});

describe('GET /v1/runtimes/{name}', () => {
  it('should answer the runtime with its ETag', async () => {
    const res = await call('GET', '/v1/runtimes/prod-chat');
    expect(res.status).toBe(200);
    expectSchema(res, 'GET', '/v1/runtimes/{name}');
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(res.json).toMatchObject({
      name: 'prod-chat',
      outdated: true,
      latestVersion: '20251211.v2',
      owner: ACTORS.megan,
    });
  });

  it('should find a runtime whatever the case of its name', async () => {
    const res = await call('GET', '/v1/runtimes/PROD-Chat');
    expect(res.status).toBe(200);
    expect(res.json.name).toBe('prod-chat');
  });

  it.each([
    'GET /v1/runtimes/nope-rt',
    'GET /v1/runtimes/nope-rt/version',
    'PATCH /v1/runtimes/nope-rt',
    'POST /v1/runtimes/nope-rt/reset',
  ])('should answer %s with a specific 404', async (route) => {
    const [method, path] = route.split(' ');
    const body = method === 'PATCH' ? { idleTimeMinutes: 30 } : undefined;
    expectProblem(await change(method, path, body), 404, 'not_found', /^There is no runtime named nope-rt\.$/);
  });
});

describe('PUT /v1/runtimes/{name}', () => {
  it('should accept with 202, Operation-Location and an operation to poll', async () => {
    const res = await change('PUT', '/v1/runtimes/new-rt', automatic({ description: 'for the contract test' }));
    expect(res.status).toBe(202);
    expectSchema(res, 'PUT', '/v1/runtimes/{name}');
    const location = res.headers.get('operation-location');
    expect(location).toBe(`/v1/operations/${res.json.id}`);
    expect(res.headers.get('location')).toBe(location);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.json).toMatchObject({ kind: 'create', runtimeName: 'new-rt', requestedBy: ACTORS.alex, warnings: [] });

    const running = await call('GET', location!);
    expect(running.status).toBe(200);
    expectSchema(running, 'GET', '/v1/operations/{id}');
    expect(running.json.status).toBe('Running');
    expect(running.headers.get('retry-after')).toBe('1');

    await advance(s, TIMINGS.startMs);
    const done = await call('GET', location!);
    expectSchema(done, 'GET', '/v1/operations/{id}');
    expect(done.json.status).toBe('Succeeded');
    expect(done.json.endedOn).toBeDefined();
    expect(done.headers.get('retry-after')).toBeNull();
  });

  it('should answer 409 when the name is taken, whatever its case', async () => {
    expectProblem(
      await change('PUT', '/v1/runtimes/Chat-Dev', automatic()),
      409,
      'conflict',
      /A runtime named chat-dev already exists/,
    );
  });

  it.each([
    ['ab', 'too short'],
    ['1runtime', 'starts with a digit'],
    ['-runtime', 'starts with a dash'],
    ['a'.repeat(64), 'too long'],
    ['has.dot', 'has a dot'],
    ['has%20space', 'has a space'],
    ['caf%C3%A9', 'has a non-ASCII letter'],
  ])('should answer 422 for the name %j (%s)', async (name) => {
    const res = await change('PUT', `/v1/runtimes/${name}`, automatic());
    expectProblem(res, 422, 'invalid_field', /is not a valid runtime name/);
    expect(res.json.errors.name).toMatch(/3 to 63 letters, digits, - or _/);
  });

  it('should answer 422 with an errors map for a semantic error', async () => {
    const res = await change(
      'PUT',
      '/v1/runtimes/gpu-rt',
      automatic({ vmSize: 'Standard_NC24ads_A100_v4', idleTimeMinutes: 30 }),
    );
    expectProblem(res, 422, 'invalid_field', /no quota/);
    expect(res.json.errors).toEqual({ vmSize: expect.stringMatching(/no quota for Standard_NC24ads_A100_v4/) });
  });
});

describe('PATCH /v1/runtimes/{name}', () => {
  it('should answer 412 for a stale If-Match and 202 for the current ETag', async () => {
    await createRunning(s, 'edit-rt');
    const stale = (await call('GET', '/v1/runtimes/edit-rt')).headers.get('etag')!;
    await change('PATCH', '/v1/runtimes/edit-rt', { idleTimeMinutes: 90 }); // someone else edits it
    const refused = await change('PATCH', '/v1/runtimes/edit-rt', { idleTimeMinutes: 120 }, ACTORS.alex, {
      'if-match': stale,
    });
    expectProblem(refused, 412, 'precondition_failed', /edit-rt changed since you read it/);
    expect((await call('GET', '/v1/runtimes/edit-rt')).json.idleTimeMinutes).toBe(90);

    const current = (await call('GET', '/v1/runtimes/edit-rt')).headers.get('etag')!;
    const accepted = await change('PATCH', '/v1/runtimes/edit-rt', { idleTimeMinutes: 120 }, ACTORS.alex, {
      'if-match': current,
    });
    expect(accepted.status).toBe(202);
    expectSchema(accepted, 'PATCH', '/v1/runtimes/{name}');
    expect((await call('GET', '/v1/runtimes/edit-rt')).json.idleTimeMinutes).toBe(120);
  });

  it.each([
    ['a weak ETag', (etag: string) => `W/${etag}`],
    ['*', () => '*'],
  ])('should accept If-Match as %s', async (_case, form) => {
    await createRunning(s, 'edit-rt');
    const etag = (await call('GET', '/v1/runtimes/edit-rt')).headers.get('etag')!;
    const res = await change('PATCH', '/v1/runtimes/edit-rt', { idleTimeMinutes: 30 }, ACTORS.alex, {
      'if-match': form(etag),
    });
    expect(res.status).toBe(202);
  });

  it('should answer 409 busy, naming the running operation, for a change while another runs', async () => {
    const create = await change('PUT', '/v1/runtimes/busy-rt', automatic());
    const res = await change('PATCH', '/v1/runtimes/busy-rt', { idleTimeMinutes: 30 });
    expectProblem(res, 409, 'runtime_busy', /busy-rt is busy: a create requested by Alex Wilber is still running/);
    expect(res.json.operationId).toBe(create.json.id);
    await advance(s, TIMINGS.startMs);
    expect((await change('PATCH', '/v1/runtimes/busy-rt', { idleTimeMinutes: 30 })).status).toBe(202);
  });

  it('should answer 422 for a field that does not apply to the runtime type', async () => {
    const res = await change('PATCH', '/v1/runtimes/ci-alex-runtime', { vmSize: 'Standard_E8ds_v4' });
    expectProblem(res, 422, 'invalid_field', /vmSize cannot be changed on a compute instance runtime/);
    expect(Object.keys(res.json.errors)).toEqual(['vmSize']);
  });
});

describe('runtime actions', () => {
  it.each(['install', 'reset', 'stop', 'upgrade'])(
    'should accept POST /v1/runtimes/{name}/%s with 202',
    async (action) => {
      await createRunning(
        s,
        'act-rt',
        automatic({ baseImage: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20250131.v2' }),
      );
      const body = action === 'install' ? { requirements: 'numpy' } : undefined;
      const res = await change('POST', `/v1/runtimes/act-rt/${action}`, body);
      expect(res.status).toBe(202);
      expectSchema(res, 'POST', `/v1/runtimes/{name}/${action}`);
      expect(res.json.kind).toBe(action);
    },
  );

  it('should accept an empty JSON object as the body of an action', async () => {
    await createRunning(s, 'act-rt');
    expect((await change('POST', '/v1/runtimes/act-rt/reset', {})).status).toBe(202);
  });

  it('should answer 400 for an unknown action', async () => {
    expectProblem(
      await change('POST', '/v1/runtimes/chat-dev/explode'),
      400,
      'bad_request',
      /Unknown action "explode"; use install, reset, stop or upgrade/,
    );
  });

  it('should answer 409 when resetting a runtime whose compute instance is stopped', async () => {
    expectProblem(
      await change('POST', '/v1/runtimes/legacy-ocr/reset', undefined, ACTORS.adele),
      409,
      'conflict',
      /while it is Unavailable\. Start its compute instance first/,
    );
  });
});

describe('GET /v1/operations/{id}', () => {
  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
    ['a malformed id', 'not-an-id'],
    ['a path-like id', '..%2F..%2Fruntimes%2Fchat-dev'],
  ])('should answer 404 for %s', async (_case, id) => {
    expectProblem(await call('GET', `/v1/operations/${id}`), 404, 'not_found', /^There is no operation with id /);
  });
});

describe('request errors', () => {
  it('should answer 404 problem+json for an unknown route, and keep running', async () => {
    const res = await call('GET', '/v1/nothing-here');
    expectProblem(res, 404, 'not_found', /^There is no route GET \/v1\/nothing-here\.$/);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it.each([
    ['DELETE', '/v1/runtimes/chat-dev'],
    ['POST', '/v1/runtimes'],
    ['PUT', '/v1/versions'],
  ])('should answer 405 problem+json for %s %s, and keep running', async (method, path) => {
    const res = await change(method, path, {});
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
    expect(res.json.detail).toBe(`${method} is not supported on ${path}.`);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('should answer 415 for a body that is not JSON', async () => {
    const res = await call('PUT', '/v1/runtimes/media-rt', {
      actor: ACTORS.alex,
      body: 'type=automatic&vmSize=Standard_E4ds_v4',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 415, 'unsupported_media_type', /application\/json \(got application\/x-www-form-urlencoded\)/);
  });

  it('should accept a JSON body with a +json media type', async () => {
    const res = await call('PUT', '/v1/runtimes/media-rt', {
      actor: ACTORS.alex,
      body: JSON.stringify(automatic()),
      headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
    });
    expect(res.status).toBe(202);
  });

  it('should answer 413 for a body over the limit', async () => {
    const body = JSON.stringify(automatic({ description: 'x'.repeat(s.config.maxBodyBytes) }));
    expectProblem(await change('PUT', '/v1/runtimes/big-rt', body), 413, 'payload_too_large', /larger than 256 KB/);
  });

  it('should answer 400 for JSON that does not parse, with the parser position', async () => {
    expectProblem(
      await change('PUT', '/v1/runtimes/json-rt', '{"type": "automatic",'),
      400,
      'bad_request',
      /not valid JSON: .*position/,
    );
  });

  it.each([
    ['vmSize', { vmSize: 4 }, /vmSize: must be string/],
    ['idleTimeMinutes', { idleTimeMinutes: '60' }, /idleTimeMinutes: must be integer/],
    ['identity', { identity: 'user' }, /identity: has an unsupported shape: use \{"type":"user"\}/],
    ['description', { description: ['a'] }, /description: must be string/],
  ])('should answer 400 naming %s for a wrong type', async (field, extra, detail) => {
    const res = await change('PUT', '/v1/runtimes/type-rt', automatic(extra));
    expectProblem(res, 400, 'bad_request', detail);
    expect(Object.keys(res.json.errors)).toEqual([field]);
  });

  it.each([
    ['PUT', '/v1/runtimes/field-rt', automatic({ colour: 'blue' }), 'colour'],
    ['PATCH', '/v1/runtimes/chat-dev', { idleTimeMinutes: 30, vmsize: 'Standard_E8ds_v4' }, 'vmsize'],
    ['POST', '/v1/runtimes/chat-dev/install', { requirements: 'numpy', force: true }, 'force'],
    ['POST', '/v1/runtimes/chat-dev/reset', { now: true }, 'now'],
    ['POST', '/v1/versions', { tag: '20260101.v1', latest: true }, 'latest'],
  ])('should answer %s %s with 400 naming the unknown field', async (method, path, body, field) => {
    const res = await change(method, path, body);
    expectProblem(res, 400, 'bad_request', new RegExp(`${field}: unknown field "${field}"`));
    expect(res.json.errors[field]).toBe(`unknown field "${field}"`);
  });

  it.each([
    [
      'PUT',
      '/v1/runtimes/type-rt',
      { vmSize: 'Standard_E4ds_v4' },
      /type must be automatic, computeInstance or managedOnlineDeployment/,
    ],
    ['PUT', '/v1/runtimes/type-rt', { type: 'serverless', vmSize: 'x' }, /type must be automatic/],
    ['PATCH', '/v1/runtimes/chat-dev', {}, /must name at least one field to change/],
    ['POST', '/v1/runtimes/chat-dev/install', {}, /requirements: is required/],
  ])('should answer %s %s with 400 for a missing field', async (method, path, body, detail) => {
    expectProblem(await change(method, path, body), 400, 'bad_request', detail);
  });

  it.each([
    ['PUT', '/v1/runtimes/anon-rt', automatic()],
    ['PATCH', '/v1/runtimes/chat-dev', { idleTimeMinutes: 30 }],
    ['POST', '/v1/runtimes/chat-dev/stop', undefined],
    ['POST', '/v1/versions', { tag: '20260101.v1' }],
  ])('should answer %s %s without X-Acting-User-Id with 400', async (method, path, body) => {
    const res = await call(method, path, body !== undefined ? { body } : {});
    expectProblem(res, 400, 'bad_request', /must name the acting user in the x-acting-user-id header/);
    expect((await call('GET', '/v1/runtimes/anon-rt')).status).toBe(404);
  });

  it.each(['not an id', 'x'.repeat(65), '<script>'])('should answer 400 for the acting user id %j', async (id) => {
    const res = await change('PATCH', '/v1/runtimes/chat-dev', { idleTimeMinutes: 30 }, { objectId: id });
    expectProblem(res, 400, 'bad_request', /x-acting-user-id must be an Entra object id/);
  });
});

describe('authentication', () => {
  const TOKEN = 'service-token-0123456789';
  let secured: TestService;

  beforeEach(async () => {
    secured = await startTestService({ token: TOKEN });
  });

  afterEach(async () => {
    await secured.close();
  });

  it.each([
    ['no token', null, /A bearer token is required/],
    ['a wrong token', 'service-token-9876543210', /not valid for this runtime service/],
    ['a shorter token', 'short', /not valid/],
    ['a longer token', `${TOKEN}x`, /not valid/],
  ])('should answer 401 with %s', async (_case, token, detail) => {
    for (const path of [
      '/v1/runtimes',
      '/v1/versions',
      '/v1/compute-instances',
      '/v1/events',
      '/v1/operations/00000000-0000-4000-8000-000000000000',
    ]) {
      const res = await secured.request('GET', path, { token });
      expectProblem(res, 401, 'unauthorized', detail);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const put = await secured.request('PUT', '/v1/runtimes/sec-rt', { token, actor: ACTORS.alex, body: automatic() });
    expect(put.status).toBe(401);
    expect(await secured.app.engine.runtimes.ids()).toEqual([]);
  });

  it('should answer 401 for a token sent without the Bearer scheme', async () => {
    const res = await secured.request('GET', '/v1/runtimes', { token: null, headers: { authorization: TOKEN } });
    expect(res.status).toBe(401);
  });

  it('should serve the right token', async () => {
    const res = await secured.request('GET', '/v1/runtimes', { token: TOKEN });
    expect(res.status).toBe(200);
    const lower = await secured.request('GET', '/v1/runtimes', {
      token: null,
      headers: { authorization: `bearer ${TOKEN}` },
    });
    expect(lower.status).toBe(200);
  });

  it.each(['/healthz', '/readyz', '/v1/openapi.json'])('should keep %s public', async (path) => {
    const res = await secured.request('GET', path, { token: null });
    expect(res.status).toBe(200);
  });
});

describe('health', () => {
  it('should answer /healthz', async () => {
    const res = await call('GET', '/healthz');
    expectSchema(res, 'GET', '/healthz');
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('should answer /readyz with the provider and the storage', async () => {
    const res = await call('GET', '/readyz');
    expect(res.status).toBe(200);
    expectSchema(res, 'GET', '/readyz');
    expect(res.json).toEqual({
      status: 'ok',
      provider: { name: 'local', ok: true, detail: 'local emulator' },
      storage: { ok: true, detail: 'memory storage' },
    });
  });
});

describe('reference data', () => {
  const names = (res: TestResponse) => res.json.value.map((x: { name: string }) => x.name).sort();

  it('should list every compute instance with owner and assignee', async () => {
    const res = await call('GET', '/v1/compute-instances');
    expectSchema(res, 'GET', '/v1/compute-instances');
    expect(names(res)).toEqual(['ci-adele-old', 'ci-alex', 'ci-megan', 'ci-team-gpu']);
    const gpu = res.json.value.find((c: { name: string }) => c.name === 'ci-team-gpu');
    expect(gpu).toMatchObject({ owner: ACTORS.adele, assignedTo: ACTORS.alex });
  });

  it.each([
    ['Alex', ACTORS.alex, ['ci-alex', 'ci-team-gpu']],
    ['Megan', ACTORS.megan, ['ci-megan']],
    ['Adele', ACTORS.adele, ['ci-adele-old', 'ci-team-gpu']],
    ['someone new', { objectId: 'f00dfeed-0000-0000-0000-000000000000' }, []],
  ])('should list what %s may use with ?usableBy=me', async (_who, actor, expected) => {
    const res = await call('GET', '/v1/compute-instances?usableBy=me', { actor });
    expectSchema(res, 'GET', '/v1/compute-instances');
    expect(names(res)).toEqual(expected);
  });

  it('should take an object id in usableBy', async () => {
    expect(names(await call('GET', `/v1/compute-instances?usableBy=${ACTORS.megan.objectId}`))).toEqual(['ci-megan']);
  });

  it('should not list anybody’s compute instances for ?usableBy=me without an acting user', async () => {
    const res = await call('GET', '/v1/compute-instances?usableBy=me');
    // Either refuse (400) or list nothing: "me" is nobody.
    expect(res.status === 400 ? [] : names(res)).toEqual([]);
  });

  it('should list the applications of a compute instance', async () => {
    const res = await call('GET', '/v1/compute-instances/CI-ALEX/applications');
    expect(res.status).toBe(200);
    expect(res.json.value).toEqual([{ name: 'pf-app', image: 'promptflow-runtime-stable' }]);
    expectProblem(
      await call('GET', '/v1/compute-instances/ci-nope/applications'),
      404,
      'not_found',
      /no compute instance named ci-nope/,
    );
  });

  it('should list VM sizes with their quota', async () => {
    const res = await call('GET', '/v1/vm-sizes');
    expectSchema(res, 'GET', '/v1/vm-sizes');
    expect(res.json.value).toHaveLength(6);
    expect(
      res.json.value.filter((v: { quotaAvailable: boolean }) => !v.quotaAvailable).map((v: { name: string }) => v.name),
    ).toEqual(['Standard_NC24ads_A100_v4']);
  });

  it('should list environments', async () => {
    const res = await call('GET', '/v1/environments');
    expectSchema(res, 'GET', '/v1/environments');
    expect(names(res)).toEqual(['pf-langchain-env', 'pf-ocr-env', 'promptflow-default']);
  });

  it('should list identities with their AcrPull permission', async () => {
    const res = await call('GET', '/v1/identities');
    expectSchema(res, 'GET', '/v1/identities');
    expect(
      Object.fromEntries(res.json.value.map((i: { name: string; acrPull: boolean }) => [i.name, i.acrPull])),
    ).toEqual({
      'uai-promptflow': true,
      'uai-no-acr': false,
    });
  });
});

describe('event pages', () => {
  it('should answer a JSON page after a cursor, and the log head', async () => {
    const head = await call('GET', '/v1/events?after=0&limit=0');
    expect(head.status).toBe(200);
    expectSchema(head, 'GET', '/v1/events');
    expect(head.json.value).toEqual([]);
    await change('PUT', '/v1/runtimes/evt-page', automatic());
    const page = await call('GET', `/v1/events?after=${head.json.head}&limit=10`);
    expect(page.status).toBe(200);
    expectSchema(page, 'GET', '/v1/events');
    expect(page.json.value.map((e: { type: string }) => e.type)).toContain('operation.started');
    expect(page.json.next).toBe(page.json.value.at(-1).id);
  });

  it.each([
    ['after=abc', /after must be an event id/],
    ['after=-1', /after must be an event id/],
    ['after=0&limit=501', /limit must be a whole number from 0 to 500/],
    ['after=0&limit=x', /limit must be a whole number/],
  ])('should refuse ?%s with 400 and a specific message', async (q, message) => {
    const res = await call('GET', `/v1/events?${q}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(message);
  });
});

describe('on-call summary', () => {
  it('should summarise every runtime: counts, what is failing and why, what is outdated', async () => {
    const res = await call('GET', '/v1/summary');
    expect(res.status).toBe(200);
    expectSchema(res, 'GET', '/v1/summary');
    expect(res.json.total).toBe(DEMO.length);
    const failing = res.json.failing as { name: string; status: string; reason: string }[];
    expect(failing.map((f) => `${f.name} ${f.status}`)).toEqual(['legacy-ocr Unavailable', 'rag-eval Failed']);
    expect(failing.find((f) => f.name === 'rag-eval')?.reason).toContain('langchain==0.0.1a');
    expect(res.json.outdated.map((o: { name: string }) => o.name)).toEqual([
      'ci-alex-runtime',
      'legacy-ocr',
      'prod-chat',
    ]);
    expect(res.json.latestVersion).toBe('20251211.v2');
  });
});

describe('image versions', () => {
  it('should report the versions, the latest and the outdated runtimes', async () => {
    const res = await call('GET', '/v1/versions');
    expectSchema(res, 'GET', '/v1/versions');
    expect(res.json.repository).toBe('mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable');
    expect(res.json.latest).toBe('20251211.v2');
    expect(res.json.versions).toHaveLength(37);
    expect(res.json.versions.at(0).tag).toBe('20240111.v2');
    expect(res.json.outdated.map((o: { name: string }) => o.name)).toEqual([
      'ci-alex-runtime',
      'legacy-ocr',
      'prod-chat',
    ]);
    const prod = res.json.outdated.find((o: { name: string }) => o.name === 'prod-chat');
    expect(prod).toEqual({
      name: 'prod-chat',
      type: 'automatic',
      imageVersion: '20250831.v1',
      newer: ['20251014.v1', '20251211.v2'],
    });
  });

  it('should check one runtime’s version', async () => {
    const old = await call('GET', '/v1/runtimes/prod-chat/version');
    expectSchema(old, 'GET', '/v1/runtimes/{name}/version');
    expect(old.json).toMatchObject({
      name: 'prod-chat',
      imageVersion: '20250831.v1',
      latestVersion: '20251211.v2',
      outdated: true,
    });
    expect(old.json.newer).toEqual([
      { tag: '20251014.v1', notes: 'GNU C Library and dpkg security updates.' },
      { tag: '20251211.v2', notes: 'Latest stable build.' },
    ]);
    const current = await call('GET', '/v1/runtimes/chat-dev/version');
    expect(current.json).toMatchObject({ outdated: false, newer: [] });
  });

  it('should publish a version with 201, answer 200 for it again, and make it the latest', async () => {
    const first = await change('POST', '/v1/versions', { tag: '20251211.v10', notes: 'Build ten.' }, ACTORS.adele);
    expect(first.status).toBe(201);
    expectSchema(first, 'POST', '/v1/versions');
    expect(first.json).toEqual({ tag: '20251211.v10', notes: 'Build ten.', publishedOn: '2026-01-01T00:00:00.000Z' });

    s.clock.advance(60_000);
    const again = await change('POST', '/v1/versions', { tag: '20251211.v10' }, ACTORS.megan);
    expect(again.status).toBe(200);
    expectSchema(again, 'POST', '/v1/versions');
    expect(again.json).toEqual(first.json);

    // v10 is newer than v2 although it sorts before it as a string.
    const report = await call('GET', '/v1/versions');
    expect(report.json.latest).toBe('20251211.v10');
    expect(report.json.outdated.map((o: { name: string }) => o.name)).toContain('chat-dev');
    expect((await call('GET', '/v1/runtimes/chat-dev')).json).toMatchObject({
      outdated: true,
      latestVersion: '20251211.v10',
    });
  });

  it('should answer 200 for a tag that is in the catalogue already', async () => {
    const res = await change('POST', '/v1/versions', { tag: '20240429.v8' });
    expect(res.status).toBe(200);
    expect(res.json.tag).toBe('20240429.v8');
  });

  it('should publish an older tag without making it the latest', async () => {
    expect((await change('POST', '/v1/versions', { tag: '20240101.v1' })).status).toBe(201);
    expect((await call('GET', '/v1/versions')).json.latest).toBe('20251211.v2');
  });

  it.each(['latest', '2025-12-11.v2', '20251311.v1', '20251211', 'v20251211.2', ' '])(
    'should answer 422 for the tag %j',
    async (tag) => {
      const res = await change('POST', '/v1/versions', { tag });
      expectProblem(res, 422, 'invalid_field', /is not an image version; tags look like 20251211\.v2/);
      expect(Object.keys(res.json.errors)).toEqual(['tag']);
      expect((await call('GET', '/v1/versions')).json.versions).toHaveLength(37);
    },
  );
});

describe('the OpenAPI document', () => {
  it('should be OpenAPI 3.1 with a schema for every reference', async () => {
    const res = await call('GET', '/v1/openapi.json');
    expect(res.json.openapi).toBe('3.1.0');
    const refs = JSON.stringify(res.json).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of new Set(refs)) expect(res.json.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
  });

  it('should document every route the service serves', () => {
    const routes = s.app.server
      .getDebugInfo()
      .routes.map((r: { method: string; path: string }) => `${r.method} ${r.path}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m} ${p}`),
    );
    const undocumented = routes.filter((route: string) => {
      const pattern = new RegExp(`^${route.replace(/:\w+/g, '(\\{\\w+\\}|[^/{}]+)')}$`);
      return !documented.some((d) => pattern.test(d));
    });
    expect(undocumented).toEqual([]);
  });
});
