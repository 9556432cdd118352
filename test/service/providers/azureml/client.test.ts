/**
 * The Azure ML HTTP client against a tiny scripted loopback server: which answers are retried for
 * which methods, Retry-After, backoff with jitter, time limits, the circuit breaker, and the
 * user-facing errors (roles, missing things, conflicts, busy), with no token in any error or log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/clock';
import { AppError, ErrorCode } from '../../../../src/errors';
import { createLogger } from '../../../../src/logger';
import { CircuitBreaker } from '../../../../src/service/providers/azureml/breaker';
import { AzureMlClient, type AzureMlClientOptions, retryAfter } from '../../../../src/service/providers/azureml/client';

interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (for time limits). */
  hang?: boolean;
}

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const ARM = 'arm-secret-token-value-123';
const AML = 'aml-secret-token-value-456';

let server: http.Server;
let base: string;
let script: Scripted[];
let seen: Seen[];
let sleeps: number[];
let logs: string[];
let clock: FakeClock;

beforeEach(async () => {
  script = [];
  seen = [];
  sleeps = [];
  logs = [];
  clock = new FakeClock();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const next = script.shift() ?? { status: 200, body: {} };
      if (next.hang) return;
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body === undefined ? '' : JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(overrides: Partial<AzureMlClientOptions> = {}): AzureMlClient {
  return new AzureMlClient({
    apiUrl: base,
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    resourceGroup: 'rg',
    workspace: 'ws-test',
    tokens: { get: async (scope) => (scope.includes('ml.azure.com') ? AML : ARM) },
    armScope: 'https://management.azure.com/.default',
    amlScope: 'https://ml.azure.com/.default',
    clock,
    log: createLogger('debug', {}, (line) => logs.push(line)),
    requestTimeoutMs: 2000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

const answer = (status: number, extra: Partial<Scripted> = {}): Scripted => ({ status, body: {}, ...extra });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the call to fail');
}

describe('azureml client: requests', () => {
  it('should send the ARM token, a request id and the workspace path, and the user token only when asked', async () => {
    script = [answer(200, { body: [{ runtimeName: 'a' }] }), answer(202)];
    const c = client();
    const list = await c.call<unknown[]>('GET', '/FlowRuntimes', { query: { asyncCall: true } });
    expect(list.body).toEqual([{ runtimeName: 'a' }]);
    await c.call('POST', '/FlowSessions/s1', { body: { vmSize: 'x' }, userToken: true });
    expect(seen[0].url).toBe(
      '/flow/api/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-test/FlowRuntimes?asyncCall=true',
    );
    expect(seen[0].headers.authorization).toBe(`Bearer ${ARM}`);
    expect(seen[0].headers['aml-user-token']).toBeUndefined();
    expect(seen[0].headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1].headers['aml-user-token']).toBe(AML);
    expect(JSON.parse(seen[1].body)).toEqual({ vmSize: 'x' });
  });

  it('should refuse to follow a status URL on another host, so tokens go nowhere else', async () => {
    const c = client();
    expect(() => c.poll('https://evil.example.com/op/1', 'session s1')).toThrow(/another host/);
    expect(() => c.poll('http://127.0.0.1:1/op/1', 'session s1')).toThrow(/another host/);
    await c.poll(`${base}/flow/api/x/operations/1?api-version=1`, 'session s1');
    expect(seen).toHaveLength(1);
    const regional = client({ apiUrl: 'https://eastus.api.azureml.ms' });
    expect(regional.trusts('https://ws-123.workspace.eastus.api.azureml.ms/flow/api/op')).toBe(true);
    expect(regional.trusts('https://westus.api.azureml.ms/op')).toBe(true);
    expect(regional.trusts('https://api.azureml.ms.evil.com/op')).toBe(false);
    expect(regional.trusts('http://westus.api.azureml.ms/op')).toBe(false);
    expect(regional.trusts('not a url')).toBe(false);
  });
});

describe('azureml client: retries', () => {
  it.each([408, 429, 502, 503, 504])('should retry a GET on %i and succeed', async (status) => {
    script = [answer(status), answer(200, { body: true })];
    const res = await client().call<boolean>('GET', '/FlowRuntimes/r1/needUpgrade');
    expect(res.body).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it.each(['PUT', 'DELETE'])('should retry an idempotent %s on 502, 503 and 504', async (method) => {
    script = [answer(502), answer(503), answer(504), answer(200)];
    await client().call(method, '/FlowRuntimes/r1');
    expect(seen.map((s) => s.method)).toEqual([method, method, method, method]);
  });

  it.each([500, 502, 503, 504])(
    'should never retry a create POST on %i, and say the write is ambiguous',
    async (status) => {
      script = [answer(status), answer(200)];
      const error = await failure(client().call('POST', '/FlowRuntimes/r1', { body: {} }));
      expect(seen).toHaveLength(1);
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error).toMatchObject({ azureStatus: status, ambiguous: true });
      expect(error.message).toMatch(/Azure ML is unavailable right now .*try again/);
    },
  );

  it('should retry a POST on 429 and 408 (Azure did not act on it) and a POST marked idempotent on 503', async () => {
    script = [answer(429, { headers: { 'retry-after': '1' } }), answer(408), answer(200)];
    await client().call('POST', '/FlowRuntimes/r1', { body: {} });
    expect(seen).toHaveLength(3);
    script = [answer(503), answer(200)];
    await client().call('POST', '/FlowSessions/s1', { body: { action: 'Install' }, idempotent: true });
    expect(seen).toHaveLength(5);
  });

  it('should not retry 500 even on a GET', async () => {
    script = [answer(500), answer(200)];
    const error = await failure(client().call('GET', '/FlowRuntimes'));
    expect(seen).toHaveLength(1);
    expect(error.retryable).toBe(false);
  });

  it('should honour Retry-After in seconds, in ms, and as an HTTP date', async () => {
    script = [answer(503, { headers: { 'retry-after': '3' } }), answer(200)];
    await client().call('GET', '/FlowRuntimes');
    expect(sleeps).toEqual([3000]);
    script = [answer(429, { headers: { 'x-ms-retry-after-ms': '1500' } }), answer(200)];
    await client().call('GET', '/FlowRuntimes');
    expect(sleeps).toEqual([3000, 1500]);
    const date = new Date(Date.now() + 5000).toUTCString();
    const ms = retryAfter(new Headers({ 'retry-after': date }), Date.now());
    expect(ms).toBeGreaterThan(3000);
    expect(ms).toBeLessThanOrEqual(5000);
    expect(retryAfter(new Headers({ 'retry-after': 'soon' }), Date.now())).toBeUndefined();
  });

  it('should back off exponentially with jitter, then give up after four attempts with "busy"', async () => {
    script = [answer(429), answer(429), answer(429), answer(429)];
    const error = await failure(client({ baseDelayMs: 1000, retryBudgetMs: 60_000 }).call('GET', '/FlowRuntimes'));
    expect(seen).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(1000 * 2 ** i);
    });
    expect(error.message).toMatch(/Azure ML is busy .*try again/);
    expect(error).toMatchObject({ retryable: true, azureStatus: 429 });
  });

  it('should not sleep past its budget: a long Retry-After comes back to the caller as a hint', async () => {
    script = [answer(429, { headers: { 'retry-after': '120' } }), answer(200)];
    const error = await failure(client({ retryBudgetMs: 10_000 }).call('GET', '/FlowRuntimes'));
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ retryAfterMs: 120_000, retryable: true });
    expect(error.message).toMatch(/try again in 120 seconds/);
  });

  it('should time out a call that gets no answer, and not repeat it when it is a create', async () => {
    script = [{ status: 200, hang: true }];
    const error = await failure(client({ requestTimeoutMs: 150 }).call('POST', '/FlowRuntimes/r1', { body: {} }));
    expect(error.message).toMatch(/did not answer within/);
    expect(error).toMatchObject({ retryable: true, ambiguous: true });
    expect(seen).toHaveLength(1);
  });

  it('should retry even a create when the connection was never made', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(client({ apiUrl: `http://127.0.0.1:${port}` }).call('POST', '/FlowRuntimes/r1'));
    expect(sleeps).toHaveLength(3);
    expect(error.message).toMatch(/cannot reach Azure ML/);
    expect(error).toMatchObject({ retryable: true, ambiguous: false });
  });
});

describe('azureml client: circuit breaker', () => {
  it('should open after consecutive failures, fail fast, then close after a good half-open probe', async () => {
    const breaker = new CircuitBreaker(clock, { threshold: 3, cooldownMs: 30_000 });
    const c = client({ breaker, maxAttempts: 1 });
    script = [answer(503), answer(503), answer(503)];
    for (let i = 0; i < 3; i++) await failure(c.call('GET', '/FlowRuntimes'));
    expect(breaker.state).toBe('open');
    const fast = await failure(c.call('GET', '/FlowRuntimes'));
    expect(seen).toHaveLength(3);
    expect(fast.message).toMatch(/failed 3 times in a row.*paused its calls for 30 seconds/);
    expect(breaker.describe()).toMatch(/circuit open/);
    clock.advance(30_000);
    expect(breaker.state).toBe('halfOpen');
    script = [answer(503)];
    await failure(c.call('GET', '/FlowRuntimes'));
    expect(breaker.state).toBe('open'); // the probe failed: open again at once
    clock.advance(30_000);
    script = [answer(200, { body: [] })];
    await c.call('GET', '/FlowRuntimes');
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('should count 4xx answers as proof that Azure is up', async () => {
    const breaker = new CircuitBreaker(clock, { threshold: 2, cooldownMs: 1000 });
    const c = client({ breaker, maxAttempts: 1 });
    script = [answer(503), answer(404), answer(503)];
    for (let i = 0; i < 3; i++) await failure(c.call('GET', '/FlowRuntimes/x'));
    expect(breaker.state).toBe('closed');
  });
});

describe('azureml client: errors for people', () => {
  const azureBody = (message: string) => ({ error: { code: 'UserError', message } });

  it.each([
    [401, ErrorCode.Forbidden, /credentials \(401\).*AzureML Data Scientist role on workspace ws-test/],
    [403, ErrorCode.Forbidden, /runtime r1 \(403\).*AzureML Data Scientist role on workspace ws-test/],
    [404, ErrorCode.NotFound, /Azure ML has no runtime r1 in workspace ws-test: Runtime r1 not found/],
    [409, ErrorCode.Conflict, /conflict on runtime r1: Runtime r1 not found/],
    [400, ErrorCode.BadRequest, /refused the request for runtime r1 \(400\): Runtime r1 not found/],
  ])('should turn %i into %s with a specific message', async (status, code, message) => {
    script = [answer(status, { body: azureBody('Runtime r1 not found.') })];
    const error = await failure(client().call('GET', '/FlowRuntimes/r1', { what: 'runtime r1' }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error).toMatchObject({ azureStatus: status });
  });

  it('should scrub secrets from Azure messages, and never log or return a token', async () => {
    script = [answer(400, { body: azureBody('bad feed https://user:pat123@pkgs.example.com/simple') }), answer(503)];
    const error = await failure(client().call('POST', '/FlowSessions/s1', { userToken: true, what: 'session s1' }));
    expect(error.message).not.toContain('pat123');
    await failure(client({ maxAttempts: 1 }).call('GET', '/FlowRuntimes'));
    const everything = JSON.stringify([error.message, error, logs]);
    expect(everything).not.toContain(ARM);
    expect(everything).not.toContain(AML);
    expect(logs.some((l) => l.includes('"status":503'))).toBe(true);
  });
});
