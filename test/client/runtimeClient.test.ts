/**
 * The typed client against a tiny loopback server whose answers each test scripts: retries with
 * backoff for reads and idempotent writes only, Retry-After, problem+json to coded AppErrors,
 * unreachable and slow services, and the headers and paths it sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../src/client/runtimeClient';
import { errorText } from '../../src/core/errorText';
import { AppError, ErrorCode, RuntimeServiceError } from '../../src/errors';
import { markup } from '../helpers/textMarkup';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

/** A loopback HTTP server that answers from a script, one entry per request (the last repeats). */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private script: Answer[] = [{ status: 200, body: {} }];
  private server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(...script: Answer[]): void {
    this.script = script;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const answer = this.script[Math.min(this.seen.length - 1, this.script.length - 1)];
      if (answer === 'hang') return; // never answers: the client's timeout must fire
      const body =
        answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const type = answer.status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(answer.status, { 'Content-Type': type, ...answer.headers });
      res.end(body);
    });
  }
}

const ALEX = { objectId: 'u-alex', name: 'Alex Wilber' };
const OPERATION = {
  id: 'op-1',
  kind: 'reset',
  runtimeName: 'rt-a',
  status: 'Running',
  steps: [],
  warnings: [],
  input: {},
};
const problem = (status: number, detail: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { type: `https://promptflow-runtime-bot.dev/problems/x`, title: 'x', status, detail, ...extra },
});

let server: ScriptedServer;
let client: RuntimeClient;

beforeEach(async () => {
  server = new ScriptedServer();
  await server.start();
  client = new RuntimeClient({ baseUrl: `${server.url}/`, token: 'service-token', timeoutMs: 2000 });
});

afterEach(async () => {
  await server.stop();
});

async function caught(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('retries', () => {
  it('should retry a read on 503 and return the answer that follows', async () => {
    server.answer(problem(503, 'busy'), problem(503, 'busy'), { status: 200, body: { name: 'rt-a' } });
    const { runtime } = await client.getRuntime('rt-a');
    expect(runtime).toEqual({ name: 'rt-a' });
    expect(server.seen).toHaveLength(3);
  });

  it.each([408, 429, 502, 504])('should retry a read on %i', async (status) => {
    server.answer({ status }, { status: 200, body: { value: [] } });
    expect(await client.allRuntimes()).toEqual([]);
    expect(server.seen).toHaveLength(2);
  });

  it('should back off between attempts, longer each time', async () => {
    server.answer({ status: 503 });
    await caught(client.versions());
    expect(server.seen).toHaveLength(3);
    const gaps = [server.seen[1].at - server.seen[0].at, server.seen[2].at - server.seen[1].at];
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThanOrEqual(390);
  });

  it('should give up after the configured attempts with an unavailable error', async () => {
    server.answer(problem(503, 'The emulator is restarting.'));
    const error = await caught(new RuntimeClient({ baseUrl: server.url, attempts: 2 }).versions());
    expect(server.seen).toHaveLength(2);
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toBe('The runtime service is having trouble (503).');
  });

  it('should honour Retry-After in seconds', async () => {
    server.answer(
      { status: 503, headers: { 'Retry-After': '1' } },
      { status: 200, body: { repository: 'r', versions: [], outdated: [] } },
    );
    await client.versions();
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(950);
  });

  it.each([500, 501])('should not retry a read on %i', async (status) => {
    server.answer({ status });
    expect((await caught(client.versions())).code).toBe(ErrorCode.Unavailable);
    expect(server.seen).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 409, 412, 422])('should not retry a read on %i', async (status) => {
    server.answer(problem(status, 'no'));
    await caught(client.getRuntime('rt-a'));
    expect(server.seen).toHaveLength(1);
  });

  it('should not retry a POST without an Idempotency-Key on 503', async () => {
    server.answer(problem(503, 'busy'), { status: 202, body: OPERATION });
    expect((await caught(client.publishVersion('1.2.3', undefined, ALEX))).code).toBe(ErrorCode.Unavailable);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0].headers['idempotency-key']).toBeUndefined();
  });

  it.each([
    ['reset', (c: RuntimeClient) => c.change('reset', 'rt-a', {}, ALEX, { idempotencyKey: 'key-1' })],
    [
      'install',
      (c: RuntimeClient) =>
        c.change('install', 'rt-a', { requirements: 'numpy', saveOnly: false }, ALEX, { idempotencyKey: 'key-1' }),
    ],
    [
      'create',
      (c: RuntimeClient) =>
        c.change('create', 'rt-a', { type: 'automatic', vmSize: 'Standard_E4ds_v4' }, ALEX, {
          idempotencyKey: 'key-1',
        }),
    ],
    [
      'update',
      (c: RuntimeClient) => c.change('update', 'rt-a', { idleTimeMinutes: 90 }, ALEX, { idempotencyKey: 'key-1' }),
    ],
  ])('should retry a %s with an Idempotency-Key on 503, with the same key and body', async (_name, call) => {
    server.answer(problem(503, 'busy'), { status: 202, body: OPERATION });
    expect(await call(client)).toEqual(OPERATION);
    expect(server.seen).toHaveLength(2);
    expect(server.seen.map((s) => s.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
    expect(server.seen[1].body).toBe(server.seen[0].body);
  });

  it('should retry a busy service (503 overloaded) after its Retry-After, then say it is busy, not unreachable', async () => {
    const busy = {
      ...problem(503, 'Too many changes are arriving at once; nothing was changed.', { code: 'overloaded' }),
      headers: { 'Retry-After': '1' },
    };
    server.answer(busy);
    const error = await caught(client.change('reset', 'rt-a', {}, ALEX, { idempotencyKey: 'key-9' }));
    expect(server.seen).toHaveLength(3);
    expect(server.seen.map((s) => s.headers['idempotency-key'])).toEqual(['key-9', 'key-9', 'key-9']);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(950);
    expect(error.code).toBe(ErrorCode.Overloaded);
    expect(markup(errorText(error, 'corr-1'))).toBe(
      'Too many changes are arriving at once. Try again in a few seconds: sending the same request again is safe.',
    );
  });

  it('should not retry a write without a key even when the service is unreachable', async () => {
    await server.stop();
    let calls = 0;
    const counting = new RuntimeClient({
      baseUrl: server.url,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    expect((await caught(counting.publishVersion('1.2.3', undefined, ALEX))).code).toBe(ErrorCode.Unavailable);
    expect(calls).toBe(1);
    server = new ScriptedServer(); // afterEach stops a fresh one
    await server.start();
  });
});

describe('problem+json', () => {
  it.each([
    [400, {}, ErrorCode.BadRequest],
    [404, {}, ErrorCode.NotFound],
    [409, { code: 'conflict' }, ErrorCode.Conflict],
    [409, { code: 'runtime_busy' }, ErrorCode.Busy],
    [412, {}, ErrorCode.PreconditionFailed],
    [422, { code: 'invalid_field' }, ErrorCode.InvalidField],
    [422, { code: 'idempotency_key_reused' }, ErrorCode.IdempotencyMismatch],
  ])("should turn %i %j into %s with the service's detail", async (status, extra, code) => {
    server.answer(problem(status, `The service says ${status}.`, extra));
    const error = await caught(client.change('reset', 'rt-a', {}, ALEX, { idempotencyKey: 'k' }));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`The service says ${status}.`);
    expect(error).toBeInstanceOf(RuntimeServiceError);
    expect(error).toMatchObject({ status });
  });

  it('should keep field errors', async () => {
    const errors = { vmSize: 'Unknown VM size Big.', idleTimeMinutes: 'Idle time must be 15 to 4320.' };
    server.answer(
      problem(422, 'Unknown VM size Big. Idle time must be 15 to 4320.', { code: 'invalid_field', errors }),
    );
    const error = await caught(
      client.change('create', 'rt-a', { type: 'automatic', vmSize: 'Big', idleTimeMinutes: 1 }, ALEX, {
        idempotencyKey: 'k',
      }),
    );
    expect(error).toMatchObject({ code: ErrorCode.InvalidField, fields: errors });
  });

  it('should keep the operation id of a conflict', async () => {
    server.answer(problem(409, 'rt-a is busy.', { code: 'runtime_busy', operationId: 'op-9' }));
    expect(await caught(client.change('reset', 'rt-a', {}, ALEX, { idempotencyKey: 'k' }))).toMatchObject({
      operationId: 'op-9',
      status: 409,
    });
  });

  it.each([401, 403])('should explain a %i as a token problem, not retry it, and not echo the body', async (status) => {
    server.answer(problem(status, 'Bearer token abc123 is not valid.'));
    const error = await caught(client.versions());
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toBe('The bot is not allowed to call the runtime service; check RUNTIME_SERVICE_TOKEN.');
    expect(server.seen).toHaveLength(1);
  });

  it('should say what status came back when the body is not JSON', async () => {
    server.answer({ status: 404, body: '<html>Not here</html>' });
    const error = await caught(client.getRuntime('rt-a'));
    expect(error).toMatchObject({ code: ErrorCode.NotFound, message: 'The runtime service answered 404.' });
  });
});

describe('an unreachable or slow service', () => {
  it('should report a closed port as unavailable after retrying a read', async () => {
    await server.stop();
    let calls = 0;
    const counting = new RuntimeClient({
      baseUrl: server.url,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const error = await caught(counting.allRuntimes());
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toBe(`The runtime service at ${server.url} is unreachable.`);
    expect(calls).toBe(3);
    server = new ScriptedServer();
    await server.start();
  });

  it('should time out a read that never answers, retry it, then give up', async () => {
    server.answer('hang');
    const slow = new RuntimeClient({ baseUrl: server.url, timeoutMs: 150, attempts: 2 });
    const started = Date.now();
    const error = await caught(slow.getRuntime('rt-a'));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(server.seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('should time out a write without a key once, without retrying', async () => {
    server.answer('hang');
    const slow = new RuntimeClient({ baseUrl: server.url, timeoutMs: 150 });
    expect((await caught(slow.publishVersion('1.2.3', undefined, ALEX))).code).toBe(ErrorCode.Unavailable);
    expect(server.seen).toHaveLength(1);
  });

  it('should recover when a slow answer is followed by a quick one', async () => {
    server.answer('hang', { status: 200, body: { value: [{ name: 'rt-a' }] } });
    const slow = new RuntimeClient({ baseUrl: server.url, timeoutMs: 150 });
    expect(await slow.allRuntimes()).toEqual([{ name: 'rt-a' }]);
  });

  it('should treat a success with a body that is not JSON as unavailable, not crash', async () => {
    server.answer({ status: 200, body: 'not json' });
    expect((await caught(new RuntimeClient({ baseUrl: server.url, attempts: 1 }).versions())).code).toBe(
      ErrorCode.Unavailable,
    );
  });
});

describe('requests', () => {
  it('should send the token, the acting user and JSON', async () => {
    server.answer({ status: 202, body: OPERATION });
    const actor = { objectId: 'u-1', name: 'Zoë O’Brien' };
    await client.change('install', 'rt-a', { requirements: 'numpy\npandas', saveOnly: true }, actor, {
      idempotencyKey: 'key-7',
    });
    const [req] = server.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/runtimes/rt-a/install');
    expect(req.headers).toMatchObject({
      authorization: 'Bearer service-token',
      'x-acting-user-id': 'u-1',
      'x-acting-user-name': encodeURIComponent('Zoë O’Brien'),
      'idempotency-key': 'key-7',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(JSON.parse(req.body)).toEqual({ requirements: 'numpy\npandas', saveOnly: true });
  });

  it('should send If-Match quoted and read the ETag unquoted', async () => {
    server.answer({ status: 200, body: { name: 'rt-a' }, headers: { ETag: '"42"' } }, { status: 202, body: OPERATION });
    const { eTag } = await client.getRuntime('rt-a');
    expect(eTag).toBe('42');
    await client.change('update', 'rt-a', { idleTimeMinutes: 90 }, ALEX, { idempotencyKey: 'k', ifMatch: eTag });
    expect(server.seen[1]).toMatchObject({
      method: 'PATCH',
      url: '/v1/runtimes/rt-a',
      headers: { 'if-match': '"42"' },
    });
  });

  it('should follow pages until there is no next page token', async () => {
    server.answer(
      { status: 200, body: { value: [{ name: 'a' }, { name: 'b' }], nextPageToken: 'p2' } },
      { status: 200, body: { value: [{ name: 'c' }], nextPageToken: 'p 3' } },
      { status: 200, body: { value: [{ name: 'd' }] } },
    );
    expect((await client.allRuntimes()).map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/v1/runtimes?pageSize=500',
      '/v1/runtimes?pageSize=500&pageToken=p2',
      '/v1/runtimes?pageSize=500&pageToken=p+3',
    ]);
  });

  it.each([
    ['a slash', 'a/b'],
    ['a query', 'a?x=1'],
    ['a fragment', 'a#b'],
    ['a space', 'a b'],
  ])('should refuse a name with %s before any request, as no such runtime can exist', async (_label, name) => {
    const error = await caught(client.getRuntime(name));
    expect(error).toMatchObject({ code: 'not_found' });
    expect(server.seen).toHaveLength(0);
  });

  // URL parsing resolves `.` and `..` segments, so such a "name" would address another resource
  // (`versions .` asked the service about a runtime named "version"). Encoding the dots, or refusing
  // the name before any request, both pass.
  it.each([
    ['.', (c: RuntimeClient) => c.checkVersion('.')],
    ['..', (c: RuntimeClient) => c.checkVersion('..')],
    ['..', (c: RuntimeClient) => c.change('reset', '..', {}, ALEX, { idempotencyKey: 'k' })],
    ['.', (c: RuntimeClient) => c.getRuntime('.')],
  ])('should not let the name %j leave its path segment', async (name, call) => {
    server.answer(problem(404, 'no'));
    await call(client).catch(() => undefined);
    for (const seen of server.seen) {
      const segments = seen.url.split('?')[0].split('/');
      expect(segments.slice(0, 3)).toEqual(['', 'v1', 'runtimes']);
      expect(decodeURIComponent(segments[3] ?? '')).toBe(name);
    }
  });
});
