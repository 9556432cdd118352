/**
 * A server under test, in its own process so that the load generator does not share its event loop
 * (the machine has few cores: one for the server, one for the driver). Forked by the sections:
 *   target.ts restify            the bare restify handler (the floor)
 *   target.ts echo               restify + CloudAdapter + an ActivityHandler that echoes text
 *   target.ts bot <runtimes>     createBotApp with the embedded runtime service, as `npm start` runs
 *   target.ts bot-traced <n>     the same with OpenTelemetry on: batched spans to an in-memory exporter
 *   target.ts service <runtimes> the runtime service alone
 * It sends { url, before, serviceUrl? } when it listens, and answers { cmd: 'memory' } with its memory after GC
 * and { cmd: 'spans' } with how many spans it exported (0 untraced).
 */
import {
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  AggregationTemporality,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ActivityHandler } from 'botbuilder';
import restify from 'restify';
import { createAdapter } from '../../src/bot/adapter';
import { createBotApp } from '../../src/bot/app';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { startTelemetry } from '../../src/telemetry/setup';
import { botConfig, serviceConfig } from '../../test/helpers/stack';
import { seedRuntimes } from './fixtures';
import { bareRestify, listen } from './http';

export type TargetKind = 'restify' | 'echo' | 'bot' | 'bot-traced' | 'service';

export interface Memory {
  rss: number;
  heapUsed: number;
  /** The process's peak resident set so far, in bytes. */
  maxRss: number;
}

function memory(): Memory {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, maxRss: process.resourceUsage().maxRSS * 1024 };
}

const log = createLogger('error');

function echoServer(): restify.Server {
  const adapter = createAdapter(botConfig(), log);
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

async function service(runtimes: number): Promise<{ url: string; before: Memory }> {
  const storage = new MemoryStorage();
  const app = createRuntimeServiceApp({
    config: serviceConfig({ demoData: false, durationScale: 0 }),
    storage,
    log,
    timings: localTimings(0),
    runWorkers: false,
  });
  const url = await app.start();
  const before = memory();
  const tags = (await app.versions.all()).map((v) => v.tag);
  await seedRuntimes(storage, runtimes, tags, Date.now());
  return { url, before };
}

let exported = 0;
let flush = async (): Promise<void> => undefined;

/** Telemetry as a deployment has it (batched spans, periodic metrics), into memory emptied every second. */
function traceInMemory(): void {
  const spans = new InMemorySpanExporter();
  const processor = new BatchSpanProcessor(spans);
  flush = () => processor.forceFlush();
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
  const flushed = flush;
  flush = async () => {
    await flushed();
    count();
  };
}

async function start(
  kind: TargetKind,
  runtimes: number,
): Promise<{ url: string; before: Memory; serviceUrl?: string }> {
  if (kind === 'bot-traced') traceInMemory(); // first: the apps are wrapped when they are built
  if (kind === 'restify') return { before: memory(), url: await listen(bareRestify()) };
  if (kind === 'echo') return { before: memory(), url: await listen(echoServer()) };
  const svc = await service(runtimes);
  if (kind === 'service') return svc;
  const bot = createBotApp({
    config: botConfig(),
    storage: new MemoryStorage(),
    log,
    serviceUrl: svc.url,
    runTracker: false,
  });
  return { url: await bot.start(), before: svc.before, serviceUrl: svc.url };
}

if (require.main === module) {
  const [kind, runtimes] = [process.argv[2] as TargetKind, Number(process.argv[3] ?? 0)];
  start(kind, runtimes).then(
    (ready) => {
      process.send?.({ ...ready, kind, runtimes });
      process.on('message', (m: { cmd?: string }) => {
        if (m.cmd === 'memory') process.send?.({ memory: memory() });
        if (m.cmd === 'spans') void flush().then(() => process.send?.({ spans: exported }));
      });
      process.on('disconnect', () => process.exit(0));
    },
    (error: Error) => {
      process.stderr.write(`target ${kind} failed: ${error.stack}\n`);
      process.exit(1);
    },
  );
}
