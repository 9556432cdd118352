/**
 * The whole product against the loopback Azure ML fake: the real bot (LoopbackConnector as the
 * channel) calls the runtime service over HTTP, whose `azureml` provider calls the fake with tokens
 * a real ClientSecretCredential got from the loopback token endpoint. Like startStack, time is a
 * FakeClock and the engine and the tracker are driven by hand; the fake moves an operation on by the
 * number of times it is polled, so `settle()` polls until every operation has ended.
 */
import { FakeClock } from '../../src/clock';
import type { BotConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp } from '../../src/service/app';
import { FakeAzureMl, type FakeAzureMlOptions } from './azureml/fakeAzureMl';
import { azuremlServiceOptions } from './azureml/serviceOptions';
import { TokenEndpoint } from './azureml/tokenEndpoint';
import { attachBot, type Stack } from './stack';

/** Between two looks at an operation in progress (the service's clock). */
export const POLL_MS = 1000;
/** How often the provider mirrors Azure (the service's clock). */
export const SYNC_SECONDS = 60;

export interface AzureMlStack extends Stack {
  fake: FakeAzureMl;
  tokens: TokenEndpoint;
  /** Every log line of the service and the bot (debug and up). */
  logs: string[];
  /** The waits the Azure ML client asked for between retries (Retry-After), in ms; none really waited. */
  sleeps: number[];
  /** Makes the next sweep sync with Azure, runs it, and lets the tracker catch up. */
  sync(): Promise<void>;
}

export interface AzureMlStackOptions {
  bot?: Partial<BotConfig>;
  fake?: Omit<FakeAzureMlOptions, 'tokens'>;
  /** Seeds the fake before the service starts, so its first sync (at start) sees it. */
  seed?: (fake: FakeAzureMl, tokens: TokenEndpoint) => void;
}

export async function startAzureMlStack(options: AzureMlStackOptions = {}): Promise<AzureMlStack> {
  const tokens = new TokenEndpoint();
  await tokens.start();
  const fake = new FakeAzureMl({ tokens, ...options.fake });
  const info = await fake.start();
  options.seed?.(fake, tokens);
  const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
  const logs: string[] = [];
  const sleeps: number[] = [];
  const log = createLogger('debug', {}, (line) => {
    logs.push(line);
    if (process.env.TEST_LOG === '1') process.stdout.write(`${line}\n`);
  });
  const service = createRuntimeServiceApp(
    azuremlServiceOptions({
      fake,
      apiUrl: info.baseUrl,
      tokens,
      clock,
      log,
      sleeps,
      pollMs: POLL_MS,
      syncSeconds: SYNC_SECONDS,
      demoData: false,
    }),
  );
  const serviceUrl = await service.start();
  const unfinished = async () =>
    (await service.engine.operations.all()).filter((op) => op.status !== 'Succeeded' && op.status !== 'Failed');
  const base = await attachBot({
    service,
    serviceUrl,
    clock,
    log,
    ...(options.bot ? { bot: options.bot } : {}),
    // The fake moves an operation on by polls: poll until every operation has ended.
    async settle() {
      for (let i = 0; i < 40 && (await unfinished()).length; i++) {
        clock.advance(POLL_MS * 64);
        await service.engine.tick();
      }
      const left = await unfinished();
      if (left.length) throw new Error(`operations did not end: ${left.map((op) => `${op.kind} ${op.runtimeName}`)}`);
      clock.advance(10_000);
    },
  });
  const stack: AzureMlStack = {
    ...base,
    fake,
    tokens,
    logs,
    sleeps,
    async sync() {
      clock.advance(SYNC_SECONDS * 1000);
      await service.engine.sweep();
      await base.bot.tracker.tick();
    },
    async close() {
      await base.close();
      await fake.close();
      await tokens.close();
    },
  };
  return stack;
}
