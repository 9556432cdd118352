/**
 * Hostile requests: every one must be refused with a 4xx that says what is wrong, never a 5xx or a
 * crash, and must leave no trace in storage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Person } from '../../src/domain/runtime';
import {
  ACTORS,
  automatic,
  createRunning,
  type RequestOptions,
  startTestService,
  type TestResponse,
  type TestService,
} from '../helpers/service';

const GENERIC = /unexpected error/i;
const AREAS = [
  'runtimes/',
  'operations/',
  'pending-operations/',
  'idempotency/',
  'events/',
  'image-versions/',
  'compute-instances/',
];

let s: TestService;
let before: Record<string, unknown>;

/** Every stored item with its eTag: a refused request must change none of them. */
async function snapshot(): Promise<Record<string, unknown>> {
  const keys = (await Promise.all(AREAS.map((a) => s.storage.list(a)))).flat();
  const items = await s.storage.read(keys);
  return Object.fromEntries(keys.map((k) => [k, items[k]?.eTag]));
}

beforeEach(async () => {
  s = await startTestService();
  await createRunning(s, 'victim-rt');
  before = await snapshot();
});

afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  const uncaught = s.uncaught.map((e) => e.message);
  const after = await snapshot();
  await s.close();
  expect(uncaught, 'exceptions escaped the request handlers').toEqual([]);
  expect(after, 'a refused request changed storage').toEqual(before);
  expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
});

async function refused(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const res = await s.request(method, path, options);
  expect(res.status, `${method} ${path.slice(0, 80)} → ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json.detail).not.toMatch(GENERIC);
  return res;
}

const put = (body: unknown, actor: Person = ACTORS.alex, headers: Record<string, string> = {}) =>
  refused('PUT', '/v1/runtimes/hostile-rt', { actor, body, headers });

describe('hostile runtime names', () => {
  it.each([
    ['../etc, percent-encoded', '..%2Fetc', 422, /"\.\.\/etc" is not a valid runtime name/],
    ['../../etc/passwd, percent-encoded', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 422, /is not a valid runtime name/],
    ['a NUL byte', '%00', 422, /is not a valid runtime name/],
    ['a name with a NUL byte inside', 'victim-rt%00', 422, /is not a valid runtime name/],
    ['an emoji', '%F0%9F%98%80-emoji', 422, /is not a valid runtime name/],
    ['accented letters', 'r%C3%A9sum%C3%A9', 422, /is not a valid runtime name/],
    ['right-to-left override', 'abc%E2%80%AEdef', 422, /is not a valid runtime name/],
    [
      'a ${…} lookup',
      '%24%7Bjndi%3Aldap%3A%2F%2Fevil%2Fx%7D',
      422,
      /"\$\{jndi:ldap:\/\/evil\/x\}" is not a valid runtime name/,
    ],
    ['markup', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', 422, /is not a valid runtime name/],
    ['__proto__', '__proto__', 422, /"__proto__" is not a valid runtime name/],
    ['a slash', 'victim-rt%2Fx', 422, /is not a valid runtime name/],
    ['../etc, as a browser would send it', '../etc', 404, /There is no route PUT \/v1\/etc/],
    ['10 KB', 'a'.repeat(10 * 1024), 404, /There is no route PUT/],
    ['broken percent-encoding', '%E0%A4%A', 404, /There is no route PUT/],
  ])('should refuse to create a runtime named with %s', async (_case, name, status, detail) => {
    const res = await refused('PUT', `/v1/runtimes/${name}`, { actor: ACTORS.alex, body: automatic() });
    expect(res.status).toBe(status);
    expect(res.json.detail).toMatch(detail);
    expect(res.json.detail.length).toBeLessThan(300); // a 10 KB name is not echoed whole
  });

  it.each([
    ['..%2Fetc', /^There is no runtime named \.\.\/etc\.$/],
    ['%00', 'There is no runtime named \u0000.'],
    ['__proto__', /^There is no runtime named __proto__\.$/],
    ['constructor', /^There is no runtime named constructor\.$/],
    ['hasOwnProperty', /^There is no runtime named hasOwnProperty\.$/],
  ])('should answer 404 for GET, PATCH and actions on %j', async (name, detail) => {
    for (const [method, path, body] of [
      ['GET', `/v1/runtimes/${name}`, undefined],
      ['GET', `/v1/runtimes/${name}/version`, undefined],
      ['PATCH', `/v1/runtimes/${name}`, { idleTimeMinutes: 30 }],
      ['POST', `/v1/runtimes/${name}/stop`, undefined],
    ] as const) {
      const res = await refused(method, path, { actor: ACTORS.alex, ...(body ? { body } : {}) });
      expect(res.status).toBe(404);
      expect(res.json.detail).toMatch(detail);
    }
  });
});

describe('hostile bodies', () => {
  it('should refuse a 1 MB body with 413', async () => {
    const res = await put(automatic({ description: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
  });

  it('should refuse a body over the limit that does not declare its length', async () => {
    const chunk = new TextEncoder().encode(`{"type":"automatic","description":"${'x'.repeat(64 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${s.url}/v1/runtimes/hostile-rt`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-acting-user-id': ACTORS.alex.objectId },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/larger than 256 KB/);
  });

  it.each([
    ['null', 'null'],
    ['an empty array', '[]'],
    ['an array of the right object', JSON.stringify([automatic()])],
    ['a string', '"automatic"'],
    ['a number', '42'],
    ['true', 'true'],
    ['an empty body', ''],
  ])('should refuse %s instead of an object', async (_case, body) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(
      /type must be automatic, computeInstance or managedOnlineDeployment|must be a JSON object/,
    );
  });

  it.each(['[]', '[{"idleTimeMinutes":30}]', '"x"', '7'])('should refuse %s as a PATCH body', async (body) => {
    const res = await refused('PATCH', '/v1/runtimes/victim-rt', { actor: ACTORS.alex, body });
    expect(res.status).toBe(400);
    expect(res.json.detail).toBe('The request body must be a JSON object.');
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'should refuse the runtime type %j',
    async (type) => {
      const res = await put({ type, vmSize: 'Standard_E4ds_v4' });
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(/type must be automatic, computeInstance or managedOnlineDeployment/);
    },
  );

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('should refuse the action %j', async (action) => {
    const res = await refused('POST', `/v1/runtimes/victim-rt/${action}`, { actor: ACTORS.alex });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/Unknown action ".+"; use install, reset, stop or upgrade/);
  });

  it.each(['constructor', '__proto__', 'toString'])('should refuse ?type=%s when listing', async (type) => {
    const res = await refused('GET', `/v1/runtimes?type=${type}`);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/Unknown runtime type/);
  });

  it.each([
    ['__proto__', `{"__proto__":{"polluted":true},"type":"automatic","vmSize":"Standard_E4ds_v4"}`],
    ['constructor', `{"constructor":{"prototype":{"polluted":true}},"type":"automatic","vmSize":"Standard_E4ds_v4"}`],
    ['toString', `{"toString":"x","type":"automatic","vmSize":"Standard_E4ds_v4"}`],
    ['hasOwnProperty', `{"hasOwnProperty":1,"type":"automatic","vmSize":"Standard_E4ds_v4"}`],
  ])('should refuse the field %j, naming it', async (field, body) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain(`unknown field "${field}"`);
    expect(Object.keys(res.json.errors)).toEqual([field]);
  });

  it.each([
    [
      'identity',
      `{"type":"automatic","vmSize":"Standard_E4ds_v4","identity":{"type":"user","__proto__":{"polluted":true}}}`,
    ],
    [
      'customApplication',
      `{"type":"computeInstance","computeInstanceName":"ci-alex","customApplication":{"mode":"new","constructor":{"prototype":{"polluted":1}}}}`,
    ],
  ])('should refuse a prototype key nested in %s', async (field, body) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(new RegExp(`${field}: has an unsupported shape`));
  });

  it.each([
    [
      '20,000 levels of objects',
      `{"type":"automatic","vmSize":"x","identity":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
      /identity: has an unsupported shape/,
    ],
    [
      '120,000 levels of arrays',
      `{"type":"automatic","vmSize":"x","description":${'['.repeat(120_000)}${']'.repeat(120_000)}}`,
      /description: must be string/,
    ],
    ['deep nesting at the top', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /type must be automatic/],
  ])('should refuse deeply nested JSON: %s', async (_case, body, detail) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(detail);
  });

  it.each([
    ['vmSize', { vmSize: 4 }, /must be string/],
    ['vmSize', { vmSize: null }, /must be string/],
    ['vmSize', { vmSize: ['Standard_E4ds_v4'] }, /must be string/],
    ['idleTimeMinutes', { idleTimeMinutes: '60' }, /must be integer/],
    ['idleTimeMinutes', { idleTimeMinutes: true }, /must be integer/],
    ['identity', { identity: null }, /unsupported shape/],
    ['identity', { identity: { type: 'userAssigned' } }, /unsupported shape/],
    ['requirements', { requirements: 123 }, /must be string/],
    ['requirements', { requirements: 'x'.repeat(100_001) }, /must NOT have more than 100000 characters/],
    ['description', { description: {} }, /must be string/],
    ['baseImage', { baseImage: 'x'.repeat(301) }, /must NOT have more than 300 characters/],
  ])('should refuse a wrong %s, naming it', async (field, extra, detail) => {
    const res = await put(automatic(extra));
    expect(res.status).toBe(400);
    expect(res.json.errors[field]).toMatch(detail);
  });

  // Out-of-range numbers are well-formed JSON: the emulator's rule answers, with a 422 naming the field.
  it.each([
    ['1e300', '1e300'],
    ['1e400, which JSON.parse reads as Infinity', '1e400'],
  ])('should refuse idleTimeMinutes %s as out of bounds', async (_case, literal) => {
    const res = await put(`{"type":"automatic","vmSize":"Standard_E4ds_v4","idleTimeMinutes":${literal}}`);
    expect(res.status).toBe(422);
    expect(Object.keys(res.json.errors)).toEqual(['idleTimeMinutes']);
    expect(res.json.errors.idleTimeMinutes).toMatch(/from 15 to 4320/);
  });

  it.each([
    ['vmSize', { vmSize: '${7*7}' }, /Unknown VM size \$\{7\*7\}\./],
    ['vmSize', { vmSize: '{{constructor.constructor("x")()}}' }, /Unknown VM size \{\{constructor/],
    ['vmSize', { vmSize: 'Standard_E4ds_v4\u0000' }, /Unknown VM size/],
    [
      'requirements',
      { requirements: '${HOME}/evil.whl' },
      /local wheels and paths are not supported \("\$\{HOME\}\/evil\.whl"\)/,
    ],
    ['requirements', { requirements: 'numpy\u202e==1.0' }, /control or invisible characters/],
    ['requirements', { requirements: `numpy==${'9'.repeat(2000)}` }, /longer than 1000 characters/],
    [
      'requirements',
      { requirements: Array.from({ length: 501 }, (_, i) => `pkg${i}`).join('\n') },
      /too many requirement lines \(501\)/,
    ],
    ['requirements', { requirements: '-r ../../etc/passwd' }, /includes another file/],
    [
      'baseImage',
      { baseImage: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:${latest}' },
      /no published image version "\$\{latest\}"/,
    ],
  ])('should take a hostile %s literally and refuse it with 422', async (field, extra, detail) => {
    const res = await put(automatic(extra));
    expect(res.status).toBe(422);
    expect(res.json.errors[field]).toMatch(detail);
  });

  it('should read invalid UTF-8 as replacement characters, not as something else', async () => {
    const body = Buffer.concat([
      Buffer.from('{"type":"automatic","vmSize":"Standard_E4ds_v4'),
      Buffer.from([0xff, 0xc0]),
      Buffer.from('"}'),
    ]);
    const res = await put(body);
    expect(res.status).toBe(422);
    expect(res.json.errors.vmSize).toMatch(/^Unknown VM size Standard_E4ds_v4\ufffd\ufffd\./);
  });

  it.each([
    ['trailing garbage', `${JSON.stringify(automatic())} {}`],
    ['a comment', `{"type":"automatic" /* hi */}`],
  ])('should refuse a body with %s as bad JSON', async (_case, body) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/not valid JSON/);
  });

  it.each(['text/plain', 'application/jsonp', 'text/json', 'multipart/form-data; boundary=x'])(
    'should refuse the content type %j',
    async (type) => {
      const res = await put(JSON.stringify(automatic()), ACTORS.alex, { 'content-type': type });
      expect(res.status).toBe(415);
      expect(res.json.detail).toContain(`got ${type}`);
    },
  );
});

describe('hostile headers', () => {
  it.each(['%C3%28', '%FF', '%', '%E0%A4%A', '%ED%A0%80'])(
    'should refuse the actor name %j, which is not UTF-8',
    async (name) => {
      const res = await put(automatic(), { objectId: ACTORS.alex.objectId }, { 'x-acting-user-name': name });
      expect(res.status).toBe(400);
      expect(res.json.detail).toBe('x-acting-user-name must be percent-encoded UTF-8.');
    },
  );

  it.each([
    ['empty', ''],
    ['a path', '../../etc'],
    ['non-ASCII', Buffer.from('é', 'utf8').toString('latin1')],
    ['a ${…} lookup', '${jndi:ldap://x}'],
    ['65 characters', 'a'.repeat(65)],
  ])('should refuse an acting user id that is %s', async (_case, id) => {
    const res = await put(automatic(), { objectId: ACTORS.alex.objectId }, { 'x-acting-user-id': id });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/x-acting-user-id/);
  });

  it('should store a hostile but valid actor name as plain text', async () => {
    // Not refused: the name is only ever data. Checked here so the "nothing stored" rule is lifted once.
    const name = '<img src=x onerror=alert(1)> ${jndi:x}';
    const res = await s.request('PUT', '/v1/runtimes/named-rt', {
      actor: ACTORS.alex,
      headers: { 'x-acting-user-name': encodeURIComponent(name) },
      body: automatic(),
    });
    expect(res.status).toBe(202);
    expect(res.json.requestedBy).toEqual({ objectId: ACTORS.alex.objectId, name });
    before = await snapshot();
  });
});
