/**
 * The service under concurrent changes, as a new user tried it: real HTTP, file storage in a temp
 * folder, the real clock and workers, the emulator at duration scale 0. No request may get a 5xx;
 * a refused one gets 409, 429 or 503 with a problem body; every accepted operation ends; and the
 * event log holds each operation's events exactly once, in order for each runtime.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServiceEvent } from '../../src/domain/runtime';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import { FileStorage } from '../../src/storage/fileStorage';
import { ACTORS, automatic, sendRequest, serviceConfig, type TestResponse } from '../helpers/service';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Loaded {
  app: RuntimeServiceApp;
  url: string;
}

async function startOnFiles(): Promise<Loaded> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'load-'));
  const app = createRuntimeServiceApp({
    config: serviceConfig({ durationScale: 0 }),
    storage: new FileStorage(dir),
    log: createLogger('silent'),
  });
  const url = await app.start();
  cleanups.push(async () => {
    await app.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  return { app, url };
}

const send = (s: Loaded, method: string, p: string, body?: unknown) =>
  sendRequest(s.url, method, p, { actor: ACTORS.alex, ...(body === undefined ? {} : { body }) });

/** 202 or a refusal a client can act on, with a problem body; never a 5xx. */
function expectAcceptedOrRefused(responses: TestResponse[]): TestResponse[] {
  const unexpected = responses.filter((r) => ![202, 409, 429, 503].includes(r.status) || r.status >= 500);
  expect(unexpected.map((r) => `${r.status} ${r.text.slice(0, 200)}`)).toEqual([]);
  for (const refused of responses.filter((r) => r.status !== 202)) {
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ status: refused.status, detail: expect.any(String) });
  }
  return responses.filter((r) => r.status === 202);
}

async function waitUntilEnded(s: Loaded, operationIds: string[]): Promise<void> {
  const open = new Set(operationIds);
  await vi.waitFor(
    async () => {
      for (const id of open) {
        const op = await s.app.engine.getOperation(id);
        if (!op || (op.status !== 'Succeeded' && op.status !== 'Failed'))
          throw new Error(`operation ${id} is still ${op?.status}`);
        open.delete(id);
      }
    },
    { interval: 50, timeout: 60_000 },
  );
}

async function allEvents(s: Loaded): Promise<ServiceEvent[]> {
  await s.app.events.settled();
  const out: ServiceEvent[] = [];
  for (;;) {
    const page = await s.app.events.after(out.at(-1)?.id ?? '0', 500);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

/** Each accepted operation: started once, completed once, its runtime changes between them; one runtime's operations never overlap. */
function expectEventsOnceInOrder(events: ServiceEvent[], operationIds: string[]): void {
  const ids = events.map((e) => Number(e.id));
  expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
  const opOf = (e: ServiceEvent) => (e.data.operation as { id?: string } | undefined)?.id ?? e.data.operationId;
  const spans = new Map<string, { runtime: string; started: number; completed: number }>();
  for (const id of operationIds) {
    const started = events.filter((e) => e.type === 'operation.started' && opOf(e) === id);
    const completed = events.filter((e) => e.type === 'operation.completed' && opOf(e) === id);
    expect([id, started.length, completed.length]).toEqual([id, 1, 1]);
    const [from, to] = [Number(started[0].id), Number(completed[0].id)];
    expect(from).toBeLessThan(to);
    for (const change of events.filter((e) => e.type.startsWith('runtime.') && opOf(e) === id)) {
      expect(Number(change.id)).toBeGreaterThan(from);
      expect(Number(change.id)).toBeLessThan(to);
    }
    spans.set(id, { runtime: String(started[0].data.runtimeName).toLowerCase(), started: from, completed: to });
  }
  const byRuntime = new Map<string, { started: number; completed: number }[]>();
  for (const span of spans.values()) byRuntime.set(span.runtime, [...(byRuntime.get(span.runtime) ?? []), span]);
  for (const list of byRuntime.values()) {
    list.sort((a, b) => a.started - b.started);
    for (let i = 1; i < list.length; i++) expect(list[i].started).toBeGreaterThan(list[i - 1].completed);
  }
}

describe('the service under concurrent changes (file storage, real HTTP)', () => {
  it('should answer 30 concurrent PUTs × 10 rounds without a 5xx, and log every operation once', async () => {
    const s = await startOnFiles();
    const accepted: string[] = [];
    for (let round = 0; round < 10; round++) {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => send(s, 'PUT', `/v1/runtimes/load-${round}-${i}`, automatic())),
      );
      accepted.push(...expectAcceptedOrRefused(responses).map((r) => r.json.id as string));
    }
    expect(accepted).toHaveLength(300); // distinct names: nothing to refuse
    // And 30 at once for one name: one creates it, the others learn that it exists.
    const same = await Promise.all(
      Array.from({ length: 30 }, () => send(s, 'PUT', '/v1/runtimes/load-same', automatic())),
    );
    const [winner, ...others] = expectAcceptedOrRefused(same);
    expect(others).toEqual([]);
    expect(same.filter((r) => r.status === 409).every((r) => r.json.code === 'conflict')).toBe(true);
    accepted.push(winner.json.id as string);
    await waitUntilEnded(s, accepted);
    expectEventsOnceInOrder(await allEvents(s), accepted);
  }, 120_000);

  it('should answer 120 concurrent creates, installs and edits without a 5xx, and log every operation once', async () => {
    const s = await startOnFiles();
    const names = Array.from({ length: 12 }, (_, i) => `mixed-${i}`);
    const setup = await Promise.all(names.map((name) => send(s, 'PUT', `/v1/runtimes/${name}`, automatic())));
    const created = expectAcceptedOrRefused(setup).map((r) => r.json.id as string);
    await waitUntilEnded(s, created);

    const requests = Array.from({ length: 120 }, (_, i) => {
      const name = names[Math.floor(i / 3) % names.length];
      if (i % 3 === 0) return send(s, 'PUT', `/v1/runtimes/mixed-new-${i}`, automatic());
      if (i % 3 === 1) return send(s, 'POST', `/v1/runtimes/${name}/install`, { requirements: `numpy==1.26.${i}` });
      return send(s, 'PATCH', `/v1/runtimes/${name}`, { idleTimeMinutes: 30 + i });
    });
    const responses = await Promise.all(requests);
    const accepted = expectAcceptedOrRefused(responses).map((r) => r.json.id as string);
    // Every create has a name of its own; installs and edits of one runtime queue behind each other or are refused.
    expect(responses.filter((_, i) => i % 3 === 0).every((r) => r.status === 202)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(40 + names.length);
    const refused = responses.filter((r) => r.status !== 202);
    expect(refused.every((r) => r.status === 409 && ['runtime_busy', 'conflict'].includes(r.json.code))).toBe(true);
    await waitUntilEnded(s, accepted);
    expectEventsOnceInOrder(await allEvents(s), [...created, ...accepted]);
  }, 120_000);
});
