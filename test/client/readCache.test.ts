/**
 * What the client keeps of the summary and list pages, against the real service: revalidation with
 * If-None-Match, and, where the event log is read, answers used without asking between events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../src/client/runtimeClient';
import { FakeClock } from '../../src/clock';
import { FileStorage } from '../../src/storage/fileStorage';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACTORS, automatic, createRunning, startTestService, type TestService } from '../helpers/service';

const services: TestService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

async function start(options: Parameters<typeof startTestService>[0] = {}): Promise<TestService> {
  const s = await startTestService({ demoData: true, ...options });
  services.push(s);
  return s;
}

/** A client whose requests are recorded: path and the status it got. */
function client(url: string, quietMs = 0, maxAgeMs?: number) {
  const seen: { path: string; status: number; ifNoneMatch: string | null }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const u = new URL(String(input));
    seen.push({
      path: `${u.pathname}${u.search}`,
      status: res.status,
      ifNoneMatch: new Headers(init?.headers).get('if-none-match'),
    });
    return res;
  };
  const c = new RuntimeClient({
    baseUrl: url,
    fetch: recording,
    readCache: { quietMs, ...(maxAgeMs ? { maxAgeMs } : {}) },
  });
  const reads = (p: string) => seen.filter((x) => x.path.startsWith(p));
  return { c, seen, reads };
}

describe('the client without an event feed', () => {
  it('should revalidate the summary and list pages, and use what it has on 304', async () => {
    const s = await start();
    const { c, reads } = client(s.url);
    const first = await c.summary();
    const second = await c.summary();
    expect(second).toEqual(first);
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 304]);
    expect(reads('/v1/summary')[1].ifNoneMatch).toMatch(/^"/);

    const page = await c.listRuntimes({ pageSize: 2 });
    expect(await c.listRuntimes({ pageSize: 2 })).toEqual(page);
    expect(reads('/v1/runtimes').map((r) => r.status)).toEqual([200, 304]);

    await createRunning(s, 'aaa-new');
    expect((await c.summary()).total).toBe(first.total + 1);
    expect((await c.listRuntimes({ pageSize: 2 })).value[0].name).toBe('aaa-new');
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 304, 200]);
  });

  it('should give out answers nobody can change for the next caller', async () => {
    const s = await start();
    const { c } = client(s.url);
    const summary = await c.summary();
    expect(() => {
      (summary as { total: number }).total = 0;
    }).toThrow(TypeError);
    expect((await c.summary()).total).toBe(5);
  });
});

describe('the client that reads the event log', () => {
  it('should not ask again between events, and ask again once an event shows a change', async () => {
    const s = await start();
    const { c, reads } = client(s.url, 60_000);
    await c.events('0', 0); // the notifier's first look: the head of the log
    const first = await c.summary();
    for (let i = 0; i < 5; i++) expect(await c.summary()).toBe(first);
    await c.events('0', 100);
    expect(await c.summary()).toBe(first);
    expect(reads('/v1/summary')).toHaveLength(1);

    // A change made elsewhere: this client learns of it from the log, not before.
    const put = await s.request('PUT', '/v1/runtimes/elsewhere', { actor: ACTORS.megan, body: automatic() });
    expect(put.status).toBe(202);
    expect((await c.summary()).total).toBe(first.total);
    await c.events('0', 100);
    expect((await c.summary()).total).toBe(first.total + 1);
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 200]);
  });

  it('should ask again after its own change', async () => {
    const s = await start();
    const { c, reads } = client(s.url, 60_000);
    await c.events('0', 0);
    const first = await c.summary();
    await c.change('stop', 'chat-dev', {}, ACTORS.alex, { idempotencyKey: 'stop-1' });
    const after = await c.summary();
    expect(after.busy.map((b) => b.name)).toContain('chat-dev');
    expect(after.busy).not.toEqual(first.busy);
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 200]);
  });

  it('should ask again once its last look at the log is older than quietMs, or the answer older than maxAgeMs', async () => {
    const s = await start();
    const quiet = client(s.url, 30);
    await quiet.c.events('0', 0);
    await quiet.c.summary();
    await new Promise((r) => setTimeout(r, 60));
    await quiet.c.summary();
    expect(quiet.reads('/v1/summary').map((r) => r.status)).toEqual([200, 304]);

    const aged = client(s.url, 60_000, 30);
    await aged.c.events('0', 0);
    await aged.c.summary();
    await new Promise((r) => setTimeout(r, 60));
    await aged.c.events('0', 0);
    await aged.c.summary();
    expect(aged.reads('/v1/summary').map((r) => r.status)).toEqual([200, 304]);
  });

  it('should keep asking a replica whose read model is behind the log, until it caught up', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'read-cache-'));
    dirs.push(dir);
    const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
    const a = await start({ storage: new FileStorage(dir), clock });
    const b = await start({ storage: new FileStorage(dir), clock, demoData: false });
    const { c, reads } = client(b.url, 60_000);
    await c.events('0', 0);
    const before = await c.summary();

    await createRunning(a, 'on-a');
    await c.events('0', 100); // B's log shows the change; B's read model has not read it yet
    expect((await c.summary()).total).toBe(before.total);
    expect((await c.summary()).total).toBe(before.total);
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 304, 304]);

    await b.app.readModel.catchUp();
    expect((await c.summary()).total).toBe(before.total + 1);
    expect((await c.summary()).total).toBe(before.total + 1);
    expect(reads('/v1/summary').map((r) => r.status)).toEqual([200, 304, 304, 200]);
  });
});
