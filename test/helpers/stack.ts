/**
 * The whole product on loopback for integration tests: the runtime service and the bot, talking
 * over real HTTP, with a loopback Bot Connector as the channel. Time is a FakeClock, and the
 * engine and the tracker are driven by hand, so tests are fast and exact.
 */
import { type BotApp, createBotApp } from '../../src/channels/teams/app';
import { FakeClock } from '../../src/clock';
import { type BotConfig, RETIREMENT_DEFAULTS, type ServiceConfig } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage } from '../../src/storage/storage';
import { messageActivity, postActivity, type Where, type Who } from './activities';
import { LoopbackConnector } from './connector';
import { serviceConfig } from './service';

export interface Stack {
  clock: FakeClock;
  service: RuntimeServiceApp;
  serviceUrl: string;
  bot: BotApp;
  botUrl: string;
  connector: LoopbackConnector;
  botStorage: Storage;
  /** The runtime service's storage (startStack only). */
  serviceStorage?: Storage;
  /** Sends a message as a user and returns the HTTP status and the new connector calls. */
  say(
    text: string,
    who?: Who,
    where?: Where,
    extra?: Record<string, unknown>,
  ): Promise<{ status: number; replies: string[]; ids: string[] }>;
  /** Advances time and lets the service and the tracker catch up. */
  advance(ms: number): Promise<void>;
  /** Runs until no operation is pending, then lets the tracker update the messages. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function botConfig(overrides: Partial<BotConfig> = {}): BotConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    appType: 'MultiTenant',
    allowedTenantIds: [],
    allowedServiceUrlHosts: ['127.0.0.1', 'localhost'],
    notifications: { digestTime: '08:00', idleWarningMinutes: 15, globalSendsPerSecond: 30 },
    retirement: RETIREMENT_DEFAULTS,
    ...overrides,
  };
}

export async function startStack(
  options: {
    bot?: Partial<BotConfig>;
    service?: Partial<ServiceConfig>;
    /** Puts something (a proxy) between the bot and the service: given the service's URL, the bot's. */
    via?: (serviceUrl: string) => Promise<string>;
    log?: Logger;
    /** Default: a MemoryStorage each. */
    storage?: { bot?: Storage; service?: Storage };
  } = {},
): Promise<Stack> {
  const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
  const log = options.log ?? createLogger(process.env.TEST_LOG === '1' ? 'debug' : 'silent');
  const serviceStorage = options.storage?.service ?? new MemoryStorage();
  const service = createRuntimeServiceApp({
    config: serviceConfig({ demoData: true, ...options.service }),
    storage: serviceStorage,
    log,
    clock,
    timings: localTimings(1),
    runWorkers: false,
  });
  const serviceUrl = await service.start();
  const stack = await attachBot({
    service,
    serviceUrl,
    ...(options.via ? { botServiceUrl: await options.via(serviceUrl) } : {}),
    clock,
    log,
    ...(options.bot ? { bot: options.bot } : {}),
    ...(options.service?.token ? { serviceToken: options.service.token } : {}),
    ...(options.storage?.bot ? { botStorage: options.storage.bot } : {}),
    async settle() {
      for (let i = 0; i < 20; i++) {
        clock.advance(10_000);
        await service.engine.tick();
      }
    },
  });
  return { ...stack, serviceStorage };
}

/**
 * The bot half of a stack, on a service that is already running: the bot (tracker driven by hand),
 * a loopback Bot Connector, and say/advance/settle/close. `settle` says how this service's
 * operations are run to their end; the tracker then updates the messages.
 */
export async function attachBot(o: {
  service: RuntimeServiceApp;
  serviceUrl: string;
  /** Where the bot calls the service, when not at serviceUrl itself. */
  botServiceUrl?: string;
  clock: FakeClock;
  log: ReturnType<typeof createLogger>;
  bot?: Partial<BotConfig>;
  serviceToken?: string;
  /** Default: a MemoryStorage. */
  botStorage?: Storage;
  settle(): Promise<void>;
}): Promise<Stack> {
  const { service, serviceUrl, clock } = o;
  const connector = new LoopbackConnector();
  await connector.start();
  const botStorage = o.botStorage ?? new MemoryStorage();
  const bot = createBotApp({
    config: botConfig(o.bot),
    storage: botStorage,
    log: o.log,
    serviceUrl: o.botServiceUrl ?? serviceUrl,
    ...(o.serviceToken ? { serviceToken: o.serviceToken } : {}),
    clock,
    runTracker: false,
  });
  const botUrl = await bot.start();
  const stack: Stack = {
    clock,
    service,
    serviceUrl,
    bot,
    botUrl,
    connector,
    botStorage,
    async say(text, who = 'alex', where = { kind: 'personal' }, extra = {}) {
      const before = connector.calls.length;
      const { status } = await postActivity(botUrl, messageActivity(connector.url, text, who, where, extra));
      const fresh = connector.calls.slice(before).filter((c) => c.method === 'POST');
      return { status, replies: fresh.map((c) => c.activity.text ?? ''), ids: fresh.map((c) => c.id) };
    },
    async advance(ms) {
      clock.advance(ms);
      await service.engine.tick();
      await service.events.settled();
      await bot.tracker.tick();
    },
    async settle() {
      await o.settle();
      await service.events.settled();
      await bot.tracker.tick();
    },
    async close() {
      await bot.stop();
      await service.stop();
      await connector.stop();
    },
  };
  return stack;
}
