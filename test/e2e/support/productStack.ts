/**
 * The whole product on loopback for the browser end-to-end tests: the runtime service (demo data, real
 * time, the emulator at 0.15 of its normal speed so an operation ends in about a second) and the bot,
 * over real HTTP, both with MemoryStorage. The Playground is started apart (it needs the bot's endpoint).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { type BotApp, createBotApp } from '../../../src/channels/teams/app';
import type { Clock } from '../../../src/clock';
import { type BotConfig, RETIREMENT_DEFAULTS } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../../src/service/app';
import { localTimings } from '../../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { PEOPLE } from '../../helpers/activities';
import { serviceConfig } from '../../helpers/service';

export const ROOT = path.resolve(__dirname, '../../..');

/** The product's own Playground config: Alex (current user), Megan, Adele; team ML Platform, channel Runtime Ops. */
export function productPlaygroundYaml(): string {
  return readFileSync(path.join(ROOT, 'playground/.m365agentsplayground.yml'), 'utf8');
}

export const TEAM = { name: 'ML Platform', channelName: 'Runtime Ops', channelId: 'channel-runtime-ops-id' } as const;

/** One structured log record of the bot or the service (JSON lines of src/logger.ts). */
export interface LogRecord {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The bot's clock: real time plus an offset a test may move forward (the service keeps real time). */
export class ShiftedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  /** From now on the bot believes it is `epochMs` (and time goes on from there). */
  moveTo(epochMs: number): void {
    this.offset = epochMs - Date.now();
  }
}

export interface ProductStack {
  service: RuntimeServiceApp;
  serviceUrl: string;
  bot: BotApp;
  clock: ShiftedClock;
  /** Another bot replica on the same storage and clock (not listening; its notifications are driven by hand). */
  replica(): BotApp;
  /** The bot's messaging endpoint, for the Playground. */
  botEndpoint: string;
  /** Everything the bot and the service logged (info and up), oldest first. */
  logs: LogRecord[];
  stop(): Promise<void>;
}

/** Service (demo data, emulator at 0.15 speed, real time) + bot, in memory; with a policy file when given. */
export async function startProductStack(options: { policyFile?: string } = {}): Promise<ProductStack> {
  const logs: LogRecord[] = [];
  const echo = process.env.TEST_LOG === '1';
  const log = createLogger('info', {}, (line) => {
    try {
      logs.push(JSON.parse(line) as LogRecord);
    } catch {
      // not JSON: nothing to keep
    }
    if (echo) process.stdout.write(`${line}\n`);
  });
  const service = createRuntimeServiceApp({
    config: serviceConfig({ demoData: true }),
    storage: new MemoryStorage(),
    log: log.child({ app: 'service' }),
    timings: localTimings(0.15),
    runWorkers: true,
  });
  const serviceUrl = await service.start();
  const config: BotConfig = {
    port: 0,
    host: '127.0.0.1',
    appType: 'MultiTenant',
    allowedTenantIds: [],
    // The Playground's connector is http://localhost:<port>/_connector.
    allowedServiceUrlHosts: ['localhost', '127.0.0.1'],
    notifications: { idleWarningMinutes: 15, globalSendsPerSecond: 30 },
    retirement: RETIREMENT_DEFAULTS,
    ...(options.policyFile ? { policyFile: options.policyFile } : {}),
  };
  const clock = new ShiftedClock();
  const botStorage = new MemoryStorage();
  const bot = createBotApp({
    config,
    storage: botStorage,
    log: log.child({ app: 'bot' }),
    serviceUrl,
    clock,
    runTracker: true,
  });
  const replicas: BotApp[] = [];
  let botUrl: string;
  try {
    botUrl = await bot.start();
  } catch (error) {
    await service.stop();
    throw error;
  }
  return {
    service,
    serviceUrl,
    bot,
    clock,
    replica() {
      const replica = createBotApp({
        config,
        storage: botStorage,
        log: log.child({ app: 'bot', replica: replicas.length + 2 }),
        serviceUrl,
        clock,
        runTracker: false,
      });
      replicas.push(replica);
      return replica;
    },
    botEndpoint: `${botUrl}/api/messages`,
    logs,
    async stop() {
      for (const replica of replicas) await replica.stop().catch(() => undefined);
      await bot.stop().catch(() => undefined);
      await service.stop().catch(() => undefined);
    },
  };
}

export interface ApiRuntime {
  name: string;
  status: string;
  owner?: { objectId: string; name?: string };
}

/** Every runtime, through the service's paged list (GET /v1/runtimes). */
export async function listRuntimes(serviceUrl: string): Promise<ApiRuntime[]> {
  const out: ApiRuntime[] = [];
  let next: string | undefined = `${serviceUrl}/v1/runtimes?pageSize=100`;
  for (let i = 0; next && i < 50; i++) {
    const res: Response = await fetch(next);
    if (!res.ok) throw new Error(`GET ${next}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { value?: ApiRuntime[]; items?: ApiRuntime[]; nextPageToken?: string };
    out.push(...(body.value ?? body.items ?? []));
    next = body.nextPageToken
      ? `${serviceUrl}/v1/runtimes?pageSize=100&pageToken=${encodeURIComponent(body.nextPageToken)}`
      : undefined;
  }
  return out;
}

/** PUT /v1/runtimes/{name}: an automatic runtime, as Alex; resolves with the operation id (202). */
export async function createRuntimeViaApi(
  serviceUrl: string,
  name: string,
  actorId = PEOPLE.alex.aadObjectId,
): Promise<string> {
  const res = await fetch(`${serviceUrl}/v1/runtimes/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-acting-user-id': actorId },
    body: JSON.stringify({ type: 'automatic', vmSize: 'Standard_E4ds_v4' }),
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`PUT /v1/runtimes/${name}: HTTP ${res.status} ${text}`);
  const op = JSON.parse(text) as { id?: string };
  return op.id ?? '';
}

/** GET /v1/operations/{id} until it ends; returns its final status. */
export async function waitForOperation(serviceUrl: string, id: string, timeoutMs = 30_000): Promise<string> {
  return vi.waitFor(
    async () => {
      const res = await fetch(`${serviceUrl}/v1/operations/${encodeURIComponent(id)}`);
      const op = (await res.json()) as { status?: string };
      if (op.status === 'Succeeded' || op.status === 'Failed') return op.status;
      throw new Error(`operation ${id} still ${op.status} after ${timeoutMs} ms`);
    },
    { interval: 200, timeout: timeoutMs },
  );
}
