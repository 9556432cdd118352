/**
 * The real service as a child process: what is stored survives a restart, and an operation whose
 * process was killed with SIGKILL is finished by the next process on the same data folder.
 *
 * Started as `node dist/src/serviceMain.js` (the compiled service, helpers/compiled.ts) rather than
 * through npm or npx, so that the pid we SIGKILL is the service itself and not a wrapper that would
 * leave the service running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext, vi } from 'vitest';
import { COMPILED } from '../helpers/compiled';
import { ACTORS, automatic, ROOT, sendRequest } from '../helpers/service';
import { freePort } from '../helpers/freePort';

interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Children and data folders of one test; the tests run concurrently, so each cleans up its own. */
class Harness {
  private readonly children: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  async dataDir(): Promise<string> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'restart-'));
    this.dirs.push(dir);
    return dir;
  }

  start(dir: string, scale = 1): Promise<Service> {
    return startService(dir, scale, (child) => this.children.push(child));
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(this.dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
  }
}

async function startService(dir: string, scale: number, track: (child: ChildProcess) => void): Promise<Service> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['RUNTIME_SERVICE_TOKEN', 'RUNTIME_SERVICE_URL', 'RUNTIME_SERVICE_HOST', 'STORAGE', 'DEMO_DATA'])
    delete env[name];
  const child = spawn(process.execPath, [COMPILED.service], {
    cwd: ROOT,
    env: {
      ...env,
      DATA_DIR: dir,
      RUNTIME_SERVICE_PORT: String(port),
      LOCAL_DURATION_SCALE: String(scale),
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${output}`);
      // false: not listening yet
      const healthy = await fetch(`${url}/healthz`).then(
        (res) => res.ok,
        () => false,
      );
      if (!healthy) throw new Error(`the service did not start: ${output}`);
    },
    { timeout: 20_000, interval: 100 },
  );
  return { child, url, output: () => output, exited };
}

/** Polls until `check` passes or the real-time budget runs out; returns the last response. */
async function until<T>(fetchValue: () => Promise<T>, check: (value: T) => boolean, ms: number): Promise<T> {
  let value!: T;
  const passed = async () => {
    value = await fetchValue();
    if (!check(value)) throw new Error('not yet');
  };
  await vi.waitFor(passed, { timeout: ms, interval: 100 }).catch(() => undefined); // the caller's expect explains
  return value;
}

const exitedWithin = (service: Service, ms: number) =>
  Promise.race([
    service.exited,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms)),
  ]);

// Concurrent: most of each test is waiting on timers and child processes, not CPU.
describe.concurrent('the service process', () => {
  const harness = (onTestFinished: TestContext['onTestFinished']) => {
    const h = new Harness();
    onTestFinished(() => h.cleanup());
    return h;
  };

  it('should finish an operation whose process was killed with SIGKILL while it ran', async ({
    expect,
    onTestFinished,
  }) => {
    const h = harness(onTestFinished);
    const dir = await h.dataDir();
    const first = await h.start(dir);
    const created = await sendRequest(first.url, 'PUT', '/v1/runtimes/crash-rt', {
      actor: ACTORS.alex,
      body: automatic(),
    });
    expect(created.status).toBe(202);
    const opId = created.json.id;
    // Its first step may wait for a busy machine; Starting then takes 6 s at scale 1: it is mid-flight.
    const op = await until(
      () => sendRequest(first.url, 'GET', `/v1/operations/${opId}`),
      (res) => res.json?.status !== 'NotStarted',
      5_000,
    );
    expect(op.json.status).toBe('Running');

    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();

    const second = await h.start(dir);
    const done = await until(
      () => sendRequest(second.url, 'GET', `/v1/operations/${opId}`),
      (res) => res.json?.status === 'Succeeded' || res.json?.status === 'Failed',
      45_000,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(done.json.status, second.output()).toBe('Succeeded');
    // Starting was due 6 s after the create; a lease left by the dead process would add 30 s.
    expect(recoveredMs).toBeLessThan(20_000);
    const statuses = done.json.steps.map(
      (s: { runtimeStatus?: string; status: string }) => s.runtimeStatus ?? s.status,
    );
    expect(statuses).toEqual(['NotStarted', 'Starting', 'Running']);
    // The lock is released by the write after the operation's last step.
    const runtime = await until(
      () => sendRequest(second.url, 'GET', '/v1/runtimes/crash-rt'),
      (res) => res.json?.activeOperation === undefined,
      5_000,
    );
    expect(runtime.json).toMatchObject({ status: 'Running', lastOperation: { id: opId, status: 'Succeeded' } });
    expect(runtime.json.activeOperation).toBeUndefined();
  }, 60_000);

  it('should keep runtimes, operations and published versions across a clean restart', async ({
    expect,
    onTestFinished,
  }) => {
    const h = harness(onTestFinished);
    const dir = await h.dataDir();
    const first = await h.start(dir, 0.05);
    const created = await sendRequest(first.url, 'PUT', '/v1/runtimes/keep-rt', {
      actor: ACTORS.megan,
      body: automatic({ idleTimeMinutes: 90 }),
    });
    expect(created.status).toBe(202);
    const running = await until(
      () => sendRequest(first.url, 'GET', '/v1/runtimes/keep-rt'),
      (res) => res.json?.status === 'Running' && res.json.activeOperation === undefined,
      10_000,
    );
    expect(running.json.status).toBe('Running');
    const published = await sendRequest(first.url, 'POST', '/v1/versions', {
      actor: ACTORS.adele,
      body: { tag: '20260401.v1', notes: 'April.' },
    });
    expect(published.status).toBe(201);

    first.child.kill('SIGTERM');
    expect(await exitedWithin(first, 10_000)).toEqual({ code: 0, signal: null });

    const second = await h.start(dir, 0.05);
    const runtime = await sendRequest(second.url, 'GET', '/v1/runtimes/keep-rt');
    expect(runtime.status).toBe(200);
    expect(runtime.json).toMatchObject({
      status: 'Running',
      idleTimeMinutes: 90,
      owner: ACTORS.megan,
      latestVersion: '20260401.v1',
      outdated: true,
    });
    expect(runtime.headers.get('etag')).toBe(running.headers.get('etag'));
    const versions = await sendRequest(second.url, 'GET', '/v1/versions');
    expect(versions.json.latest).toBe('20260401.v1');
    expect(versions.json.versions.at(-1)).toMatchObject({ tag: '20260401.v1', notes: 'April.' });
    const op = await sendRequest(second.url, 'GET', `/v1/operations/${created.json.id}`);
    expect(op.json.status).toBe('Succeeded');
    // Publishing again after the restart knows the tag.
    expect(
      (await sendRequest(second.url, 'POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260401.v1' } }))
        .status,
    ).toBe(200);
  }, 60_000);

  it('should keep serving after a request for a route that does not exist', async ({ expect, onTestFinished }) => {
    const h = harness(onTestFinished);
    const service = await h.start(await h.dataDir(), 0.05);
    const status = (method: string, p: string) =>
      sendRequest(service.url, method, p).then(
        (res) => res.status,
        (error: Error) => `no answer (${(error.cause as Error | undefined)?.message ?? error.message})`,
      );
    const answers = [await status('GET', '/v1/no-such-route')];
    await new Promise((r) => setTimeout(r, 200));
    answers.push(await status('DELETE', '/v1/runtimes/any-rt'));
    await new Promise((r) => setTimeout(r, 200));
    answers.push(await status('GET', '/healthz'));
    expect(answers, service.output().slice(-1500)).toEqual([404, 405, 200]);
  }, 30_000);

  it('should exit on SIGTERM while a client holds an event stream open', async ({ expect, onTestFinished }) => {
    const h = harness(onTestFinished);
    const service = await h.start(await h.dataDir(), 0.05);
    const controller = new AbortController();
    const stream = await fetch(`${service.url}/v1/events`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    service.child.kill('SIGTERM');
    const outcome = await exitedWithin(service, 4_000);
    controller.abort();
    expect(outcome).toEqual({ code: 0, signal: null });
  }, 30_000);
});
