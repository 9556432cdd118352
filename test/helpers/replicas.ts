/**
 * Replicas on one machine as if on separate hosts: runtime-service processes (`serviceMain`) and bot
 * processes (`index` with RUNTIME_SERVICE_URL, so it embeds no service), compiled (compiled.ts), each with
 * its own data folder as working directory, configured only through its environment, and sharing
 * nothing but one Azurite storage account (STORAGE=blob), the sealing key and the service token.
 * The first service reaches storage through a loopback path of its own (storageGate.ts), which a
 * test can cut to catch that replica at a known point before it `kill -9`s it; the others, and the
 * bots, reach Azurite directly.
 *
 * Children run `node dist/src/….js` directly, so the pid a test signals is the replica itself, and
 * from their data folder, so a developer's `.env` in the checkout configures none of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { createStorage, type StorageArea } from '../../src/storage';
import type { Storage } from '../../src/storage/storage';
import { type Azurite, startAzurite } from './azurite';
import { COMPILED } from './compiled';
import { startStorageGate, type StorageGate } from './storageGate';
import { freePort } from './freePort';

export const SERVICE_MAIN = COMPILED.service;
export const BOT_MAIN = COMPILED.bot;
const CONTAINER = 'replicas';
const START_TIMEOUT_MS = 45_000;

export type Settings = Record<string, string>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ReplicaProcess {
  name: string;
  /** Its HTTP base URL. */
  url: string;
  pid: number;
  /** The JSON log records it wrote so far (other output is left out). */
  logs(): Record<string, unknown>[];
  /** Everything it wrote, the last 200 KB. */
  output(): string;
  exited: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
}

export interface ServiceReplica extends ReplicaProcess {
  /** Its path to storage: the first service's only. */
  gate?: StorageGate;
  /** The owner name its operations engine puts in the leases it takes (from its start-up line). */
  worker: string;
}

export interface ReplicaSet {
  azurite: Azurite;
  /** The bearer token every service requires and every bot sends. */
  token: string;
  services: ServiceReplica[];
  bots: ReplicaProcess[];
  /** The test's own connection to the shared account (not through any gate), by area. */
  storage(area: StorageArea): Promise<Storage>;
  /** Starts one more process on the shared account, as `npm start` (bot) or `npm run service` would. */
  run(entry: string, settings: Settings): ChildRun;
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  services?: number;
  bots?: number;
  /** Settings of every service replica, over the shared ones. */
  service?: Settings;
  /** Settings of every bot replica, over the shared ones. */
  bot?: Settings;
}

/** A process started by `run`: its output, and how it ended. */
export interface ChildRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<Exit>;
}

/** Starts Azurite, then every replica at once; resolves when each answers its health check. */
export async function startReplicas(options: ReplicaOptions = {}): Promise<ReplicaSet> {
  const azurite = await startAzurite({ inMemory: true });
  const token = randomBytes(24).toString('hex');
  const secretsKey = randomBytes(32).toString('base64');
  const dirs: string[] = [];
  const runs: ChildRun[] = [];
  const gates: StorageGate[] = [];
  const dataDir = async (name: string) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `replica-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const shared = (blobEndpoint: string): Settings => ({
    STORAGE: 'blob',
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString.replace(azurite.blobEndpoint, blobEndpoint),
    AZURE_STORAGE_CONTAINER: CONTAINER,
    RUNTIME_SERVICE_TOKEN: token,
    LOG_LEVEL: 'info',
  });
  const run = (entry: string, settings: Settings): ChildRun => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'replica-run-'));
    dirs.push(cwd);
    const started = launch(entry, { ...baseEnvironment(), ...shared(azurite.blobEndpoint), ...settings }, cwd);
    runs.push(started);
    return started;
  };

  const startService = async (i: number, port: number): Promise<ServiceReplica> => {
    const name = `service-${'ab'[i] ?? i}`;
    const gate = i === 0 ? await startStorageGate(azurite.blobEndpoint) : undefined;
    if (gate) gates.push(gate);
    const settings = {
      ...baseEnvironment(),
      ...shared(gate ? `${gate.url}${new URL(azurite.blobEndpoint).pathname}` : azurite.blobEndpoint),
      DATA_DIR: await dataDir(name),
      RUNTIME_SERVICE_PORT: String(port),
      ...options.service,
    };
    const child = launch(SERVICE_MAIN, settings, settings.DATA_DIR);
    runs.push(child);
    const replica = await healthy(child, name, `http://127.0.0.1:${port}`);
    // It logs its start-up line just after it starts listening.
    const worker = await vi.waitFor(
      () => {
        const listening = replica.logs().find((r) => r.msg === 'runtime service listening');
        if (typeof listening?.worker !== 'string')
          throw new Error(`${name} did not log its worker id:\n${replica.output()}`);
        return listening.worker;
      },
      { interval: 20, timeout: 5000 },
    );
    return { ...replica, ...(gate ? { gate } : {}), worker };
  };
  const startBot = async (i: number, serviceUrl: string): Promise<ReplicaProcess> => {
    const name = `bot-${'ab'[i] ?? i}`;
    const port = await freePort();
    const settings = {
      ...baseEnvironment(),
      ...shared(azurite.blobEndpoint),
      DATA_DIR: await dataDir(name),
      PORT: String(port),
      RUNTIME_SERVICE_URL: serviceUrl,
      SECRETS_KEY: secretsKey,
      PLAYGROUND: 'false',
      ...options.bot,
    };
    const child = launch(BOT_MAIN, settings, settings.DATA_DIR);
    runs.push(child);
    return healthy(child, name, `http://127.0.0.1:${port}`);
  };

  const stop = async () => {
    await Promise.all(runs.map((r) => stopChild(r)));
    await Promise.all(gates.map((g) => g.close()));
    await azurite.dispose();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  };
  try {
    // Everything starts at once: a bot needs only its service's address, not the service itself.
    const ports = await Promise.all(Array.from({ length: options.services ?? 2 }, () => freePort()));
    const services = ports.map((port, i) => startService(i, port));
    // Each bot calls its own service replica (round robin when there are more bots).
    const bots = Array.from({ length: options.bots ?? 2 }, (_, i) =>
      startBot(i, `http://127.0.0.1:${ports[i % ports.length]}`),
    );
    const set: ReplicaSet = {
      azurite,
      token,
      services: await Promise.all(services),
      bots: await Promise.all(bots),
      storage: (area) =>
        createStorage(
          {
            storage: 'blob',
            dataDir: '/nowhere',
            blob: { connectionString: azurite.connectionString, container: CONTAINER },
          },
          area,
        ),
      run,
      stop,
    };
    return set;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What every child inherits from the test's environment: how to run, nothing that configures the product. */
function baseEnvironment(): Settings {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
}

/** Replicas still running when the test process exits are killed with it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function launch(entry: string, env: Settings, cwd: string): ChildRun {
  const child = spawn(process.execPath, ['--no-deprecation', entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  live.add(child);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, output: () => output, exited };
}

async function healthy(run: ChildRun, name: string, url: string): Promise<ReplicaProcess> {
  await vi.waitFor(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`${name} exited with ${run.child.exitCode}:\n${run.output()}`);
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (!ok) throw new Error(`${name} did not answer on ${url}:\n${run.output()}`);
    },
    { interval: 100, timeout: START_TIMEOUT_MS },
  );
  return {
    name,
    url,
    pid: run.child.pid!,
    logs: () => jsonLines(run.output()),
    output: run.output,
    exited: run.exited,
    kill: (signal) => run.child.kill(signal),
  };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

async function stopChild(run: ChildRun): Promise<void> {
  const { child } = run;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await run.exited;
  clearTimeout(timer);
}
