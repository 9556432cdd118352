/**
 * Starts the runtime service in-process for tests: port 0 on 127.0.0.1, a FakeClock, no background
 * workers, and the real timings at scale 1 — so a test moves time with `clock.advance(ms)` and runs
 * due steps with `await app.engine.tick()` (or `drain()`), and nothing happens behind its back.
 */
import path from 'node:path';
import { FakeClock } from '../../src/clock';
import type { ServiceConfig } from '../../src/config';
import type { Person } from '../../src/domain/runtime';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import type { EngineOptions } from '../../src/service/operations/engine';
import { localTimings } from '../../src/service/providers/local/localProvider';
import type { LocalTimings } from '../../src/service/providers/local/steps';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage } from '../../src/storage/storage';

export const ROOT = path.resolve(__dirname, '../..');

/** The demo workspace's people (catalogue/local-workspace.json). */
export const ACTORS = {
  /** Owns ci-alex; ci-team-gpu is assigned to him. */
  alex: { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' },
  /** Owns ci-megan. */
  megan: { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' },
  /** Owns ci-team-gpu and ci-adele-old (Stopped). */
  adele: { objectId: '00000000-0000-0000-0000-0000000000022', name: 'Adele Vance' },
} as const satisfies Record<string, Person>;

/** The demo timings at scale 1, in ms: what `clock.advance` has to cover. */
export const TIMINGS: LocalTimings = localTimings(1);

export interface TestServiceOptions {
  storage?: Storage;
  clock?: FakeClock;
  token?: string;
  /** Seeds the demo runtimes (chat-dev, prod-chat, rag-eval, ci-alex-runtime, legacy-ocr). Off by default. */
  demoData?: boolean;
  maxBodyBytes?: number;
  engine?: EngineOptions;
  /** Caps on open event streams (default: the service's defaults). */
  eventStreams?: ServiceConfig['eventStreams'];
}

export interface RequestOptions {
  /** An object is sent as JSON; a string or Buffer is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sets X-Acting-User-Id (and X-Acting-User-Name, percent-encoded). */
  actor?: Person;
  /** Bearer token to send; defaults to the service's token, `null` sends none. */
  token?: string | null;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** The parsed body when the response is JSON (application/json or application/problem+json). */
  json: any;
  text: string;
}

export interface TestService {
  url: string;
  app: RuntimeServiceApp;
  clock: FakeClock;
  storage: Storage;
  config: ServiceConfig;
  /** Every log line the service wrote (debug level and up). */
  logs: string[];
  /**
   * Exceptions that escaped to the process while this service ran. A real service process dies of
   * these (serviceMain has no handler), so a test that sees one has found a crash.
   */
  uncaught: Error[];
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export function serviceConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    provider: 'local',
    demoData: false,
    durationScale: 1,
    catalogueFile: path.join(ROOT, 'catalogue/promptflow-runtime-stable.json'),
    workspaceFile: path.join(ROOT, 'catalogue/local-workspace.json'),
    maxBodyBytes: 256 * 1024,
    ...overrides,
  };
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const clock = options.clock ?? new FakeClock();
  const storage = options.storage ?? new MemoryStorage();
  const logs: string[] = [];
  const config = serviceConfig({
    demoData: options.demoData ?? false,
    ...(options.token ? { token: options.token } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.eventStreams ? { eventStreams: options.eventStreams } : {}),
  });
  const app = createRuntimeServiceApp({
    config,
    storage,
    log: createLogger('debug', {}, (line) => logs.push(line)),
    clock,
    timings: TIMINGS,
    runWorkers: false,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  const url = await app.start();
  let closed = false;
  return {
    url,
    app,
    clock,
    storage,
    config,
    logs,
    uncaught,
    request: (method, p, o = {}) => sendRequest(url, method, p, { token: options.token ?? null, ...o }),
    async close() {
      if (closed) return;
      closed = true;
      // Drop kept-alive and streaming sockets first: app.stop() alone waits for them (see events.test.ts).
      app.server.server.closeAllConnections();
      await app.stop();
      process.off('uncaughtException', onUncaught);
    },
  };
}

export async function sendRequest(
  base: string,
  method: string,
  p: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = {};
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
      body = options.body;
    } else {
      body = JSON.stringify(options.body);
    }
    headers['content-type'] = 'application/json';
  }
  if (options.actor) {
    headers['x-acting-user-id'] = options.actor.objectId;
    if (options.actor.name) headers['x-acting-user-name'] = encodeURIComponent(options.actor.name);
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  Object.assign(headers, options.headers);
  const res = await fetch(`${base}${p}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let json: unknown;
  if (/json/i.test(type) && text) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, json, text };
}

/** The body of an automatic runtime create request, with a VM size that has quota. */
export function automatic(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'automatic', vmSize: 'Standard_E4ds_v4', ...extra };
}

/** Moves the fake clock, runs every step that became due, and waits until their events are in the log. */
export async function advance(service: Pick<TestService, 'clock' | 'app'>, ms: number): Promise<void> {
  service.clock.advance(ms);
  await service.app.engine.tick();
  await service.app.events.settled();
}

/** Creates an automatic runtime and runs it to Running; returns the create operation. */
export async function createRunning(
  service: TestService,
  name: string,
  body: Record<string, unknown> = automatic(),
  actor: Person = ACTORS.alex,
): Promise<any> {
  const res = await service.request('PUT', `/v1/runtimes/${name}`, { body, actor });
  if (res.status !== 202) throw new Error(`create ${name} answered ${res.status}: ${res.text}`);
  await advance(service, TIMINGS.startMs);
  const runtime = await service.request('GET', `/v1/runtimes/${name}`);
  if (runtime.json?.status !== 'Running')
    throw new Error(`${name} is ${runtime.json?.status} after start: ${runtime.text}`);
  return res.json;
}
