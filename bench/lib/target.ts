/**
 * A server under test, in its own process so that the load generator does not share its event loop
 * (the machine has few cores: one for the server, one for the driver). Forked by the sections:
 *   target.ts restify                  the bare restify handler (the floor)
 *   target.ts echo                     restify + CloudAdapter + an ActivityHandler that echoes text
 *   target.ts product <runtimes>       the bot with its embedded runtime service, wired as src/index.ts
 *                                      wires them, configured from the environment as `npm start` is
 *                                      (STORAGE, DATA_DIR, LOG_LEVEL…), workers on
 *   target.ts bot <runtimes>           the old bench configuration: memory storage, errors-only logs,
 *                                      workers off
 *   target.ts service <runtimes> <storage>  the runtime service alone; `file` runs it as shipped
 *                                      (DATA_DIR, info logs, workers on), `memory` as the old bench did
 * Runtimes are written into storage before start-up, as data already on disk. Every storage goes
 * through a CountingStorage. It sends { url, before, serviceUrl? } when it listens, and answers
 * { cmd: 'memory' } with its memory after GC, { cmd: 'storage' } with its storage calls so far and
 * { cmd: 'storage-reset' } by zeroing them.
 *   target.ts bot-traced <runtimes>    the old configuration with OpenTelemetry on: batched spans to an
 *                                      in-memory exporter; answers { cmd: 'spans' } with how many it exported
 */
import path from 'node:path';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ActivityHandler } from 'botbuilder';
import restify from 'restify';
import { createAdapter } from '../../src/channels/teams/adapter';
import { createBotApp } from '../../src/channels/teams/app';
import { loadConfig } from '../../src/config';
import { Sealer } from '../../src/core/approvals/sealer';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { createStorage } from '../../src/storage';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage } from '../../src/storage/storage';
import { startTelemetry } from '../../src/telemetry/setup';
import { CountingStorage } from '../../test/helpers/countingStorage';
import { serviceConfig } from '../../test/helpers/service';
import { botConfig } from '../../test/helpers/stack';
import { catalogueTags, seedRuntimes } from './fixtures';
import { bareRestify, listen } from './http';

export type TargetKind = 'restify' | 'echo' | 'product' | 'bot' | 'bot-traced' | 'service';
/** What STORAGE says; `blob` also needs its settings in the environment (see .env.example). */
export type StorageKind = 'file' | 'memory' | 'blob';

export interface Memory {
  rss: number;
  heapUsed: number;
  /** The process's peak resident set so far, in bytes. */
  maxRss: number;
}

/** Storage calls (reads, writes, deletes, lists) per side since start-up or the last reset. */
export interface StorageUse {
  bot?: number;
  service?: number;
}

function memory(): Memory {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, maxRss: process.resourceUsage().maxRSS * 1024 };
}

const quiet = createLogger('error');
const counted: { bot?: CountingStorage; service?: CountingStorage } = {};
/** How long writing the runtimes took, for the report (seeding on Blob is many round trips). */
let seedSeconds = 0;

function echoServer(): restify.Server {
  const adapter = createAdapter(botConfig(), quiet);
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    await context.sendActivity(`You said: ${context.activity.text}`);
    await next();
  });
  const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 1024 * 1024, mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  return server;
}

/** Writes the runtimes into a storage that has none yet, then counts every call made through it. */
async function seeded(storage: Storage, runtimes: number, catalogueFile: string): Promise<CountingStorage> {
  if (runtimes > 0 && (await storage.list('runtimes/')).length === 0) {
    const started = performance.now();
    await seedRuntimes(storage, runtimes, catalogueTags(catalogueFile), Date.now());
    seedSeconds = (performance.now() - started) / 1000;
  }
  return new CountingStorage(storage);
}

/**
 * The runtime service alone. Its storage comes from the environment (STORAGE, DATA_DIR, the Blob
 * settings), parsed by loadConfig as the service parses it; `memory` is the old bench's.
 */
async function service(runtimes: number, kind: StorageKind): Promise<{ url: string; before: Memory }> {
  const before = memory();
  const asShipped = kind !== 'memory';
  const config = serviceConfig({ demoData: false, durationScale: 0 });
  const storage = asShipped
    ? await createStorage(loadConfig({ ...process.env, STORAGE: kind }, 'service'), 'service')
    : new MemoryStorage();
  counted.service = await seeded(storage, runtimes, config.catalogueFile);
  const app = createRuntimeServiceApp({
    config,
    storage: counted.service,
    log: asShipped ? createLogger('info', {}, () => undefined) : quiet,
    timings: localTimings(0),
    runWorkers: asShipped,
  });
  return { url: await app.start(), before };
}

/**
 * The product as src/index.ts wires it, from the environment the driver set (minus the
 * Playground). Its log lines go to stdout, which the driver sends to /dev/null.
 */
async function product(runtimes: number): Promise<{ url: string; before: Memory; serviceUrl: string }> {
  const before = memory();
  const config = loadConfig();
  const log = createLogger(config.logLevel, { app: 'runtime-bot' });
  const inner = await createStorage(config, 'service');
  counted.service = await seeded(inner, runtimes, config.service.catalogueFile);
  const service = createRuntimeServiceApp({
    config: config.service,
    storage: counted.service,
    log: log.child({ app: 'runtime-service' }),
  });
  await service.start();
  counted.bot = new CountingStorage(await createStorage(config, 'bot'));
  const bot = createBotApp({
    config: config.bot,
    sealer: Sealer.fromConfig(config.bot.secretsKey, path.join(config.dataDir, 'bot')),
    storage: counted.bot,
    log,
    serviceUrl: config.serviceUrl,
    ...(config.service.token ? { serviceToken: config.service.token } : {}),
  });
  return { url: await bot.start(), before, serviceUrl: config.serviceUrl };
}

/** The old bench configuration: memory storage on both sides, errors-only logs, no workers. */
async function oldBot(runtimes: number): Promise<{ url: string; before: Memory; serviceUrl: string }> {
  const svc = await service(runtimes, 'memory');
  counted.bot = new CountingStorage(new MemoryStorage());
  const bot = createBotApp({
    config: botConfig(),
    storage: counted.bot,
    log: quiet,
    serviceUrl: svc.url,
    runTracker: false,
  });
  return { url: await bot.start(), before: svc.before, serviceUrl: svc.url };
}

let exported = 0;
let flush = async (): Promise<void> => undefined;

/** Telemetry as a deployment has it (batched spans, periodic metrics), into memory emptied every second. */
function traceInMemory(): void {
  const spans = new InMemorySpanExporter();
  const processor = new BatchSpanProcessor(spans);
  startTelemetry({}, 'bench', {
    spanProcessors: [processor],
    metricReaders: [
      new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE) }),
    ],
  });
  const count = () => {
    exported += spans.getFinishedSpans().length;
    spans.reset();
  };
  setInterval(count, 1000).unref();
  flush = async () => {
    await processor.forceFlush();
    count();
  };
}

async function start(
  kind: TargetKind,
  runtimes: number,
  storage: StorageKind,
): Promise<{ url: string; before: Memory; serviceUrl?: string }> {
  if (kind === 'bot-traced') traceInMemory(); // first: the apps are wrapped when they are built
  if (kind === 'restify') return { before: memory(), url: await listen(bareRestify()) };
  if (kind === 'echo') return { before: memory(), url: await listen(echoServer()) };
  if (kind === 'product') return product(runtimes);
  if (kind === 'bot' || kind === 'bot-traced') return oldBot(runtimes);
  return service(runtimes, storage);
}

if (require.main === module) {
  const [kind, runtimes, storage] = [
    process.argv[2] as TargetKind,
    Number(process.argv[3] ?? 0),
    (process.argv[4] ?? 'memory') as StorageKind,
  ];
  start(kind, runtimes, storage).then(
    (ready) => {
      process.send?.({ ...ready, kind, runtimes, seedSeconds });
      process.on('message', (m: { cmd?: string }) => {
        if (m.cmd === 'memory') process.send?.({ memory: memory() });
        if (m.cmd === 'spans') void flush().then(() => process.send?.({ spans: exported }));
        if (m.cmd === 'storage')
          process.send?.({ storage: { bot: counted.bot?.calls.length, service: counted.service?.calls.length } });
        if (m.cmd === 'storage-reset') {
          counted.bot?.reset();
          counted.service?.reset();
          process.send?.({ reset: true });
        }
      });
      process.on('disconnect', () => process.exit(0));
    },
    (error: Error) => {
      process.stderr.write(`target ${kind} failed: ${error.stack}\n`);
      process.exit(1);
    },
  );
}
