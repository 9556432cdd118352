/**
 * The fan-out set-up shared by the fan-out test and `npm run bench`: the runtime service, two bot
 * replicas on one storage (real time), a throttling loopback connector, and N conversations
 * subscribed to `versions`. `publishAndDrain` publishes a version and waits until the queue is empty.
 */
import { performance } from 'node:perf_hooks';
import { type BotApp, createBotApp } from '../../src/channels/teams/app';
import { ConversationStore } from '../../src/channels/teams/conversations';
import { systemClock } from '../../src/clock';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage } from '../../src/storage/storage';
import { serviceConfig } from './service';
import { botConfig } from './stack';
import { type FaultPlan, randomFaults, ThrottledConnector } from './throttledConnector';

export const FANOUT_ACTOR = { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' };

export const conversationId = (i: number) => `19:conv-${i}@thread.tacv2`;

/** Ten conversations the bot was removed from: they answer 403. */
export const BLOCKED = new Set(Array.from({ length: 10 }, (_, i) => conversationId(i * 97)));

/** 429s, 412s, 502/504s at a few per cent each, and the BLOCKED conversations; reproducible. */
export const FAULTS: FaultPlan = randomFaults({
  seed: 8,
  rate429: 0.04,
  rate5xx: 0.03,
  rate412: 0.02,
  statuses5xx: [502, 504],
  blocked: BLOCKED,
});

export interface FanoutStack {
  service: RuntimeServiceApp;
  replicas: BotApp[];
  connector: ThrottledConnector;
  /** Publishes `tag`, lets one replica queue the notice, and both drain the queue. */
  publishAndDrain(tag: string): Promise<{ queued: number; seconds: number }>;
  stop(): Promise<void>;
}

export async function startFanoutStack(options: {
  conversations: number;
  globalPerSecond: number;
  faults?: FaultPlan;
  /**
   * Opens the storage of the service and of each bot replica (called once per program, as separate
   * processes would); the bench runs the stack on file and Blob. Default: one memory store per area.
   */
  storage?: (area: 'bot' | 'service') => Promise<Storage>;
}): Promise<FanoutStack> {
  const log = createLogger('silent');
  const memory = { bot: new MemoryStorage(), service: new MemoryStorage() };
  const open = options.storage ?? (async (area: 'bot' | 'service') => memory[area]);
  const botStorages = [await open('bot'), await open('bot')];
  const connector = new ThrottledConnector({
    globalPerSecond: options.globalPerSecond,
    ...(options.faults ? { faults: options.faults } : {}),
    fingerprint: (_body, id) => id,
  });
  await connector.start();
  const service = createRuntimeServiceApp({
    config: serviceConfig({ demoData: true }),
    storage: await open('service'),
    log,
    timings: localTimings(0),
    runWorkers: false,
  });
  const serviceUrl = await service.start();
  const replicas = botStorages.map((storage) =>
    createBotApp({
      config: botConfig({
        notifications: { idleWarningMinutes: 15, globalSendsPerSecond: options.globalPerSecond },
      }),
      storage,
      log,
      serviceUrl,
      clock: systemClock,
      runTracker: false,
    }),
  );
  for (const bot of replicas) await bot.start();
  const references = new ConversationStore(botStorages[0], ['127.0.0.1']);
  // Sixteen at a time: one record per conversation, nothing shared, and on Blob each write is a round trip.
  let next = 0;
  const subscribeNext = async () => {
    for (let i = next++; i < options.conversations; i = next++) {
      const id = conversationId(i);
      const key = await references.save({
        channelId: 'msteams',
        serviceUrl: connector.url,
        conversation: { id, conversationType: 'channel', isGroup: true, name: `conv ${i}` },
        bot: { id: 'bot', name: 'Runtime bot' },
      });
      await replicas[0].notifications.subscriptions.subscribe(key!, { id, type: 'channel' }, ['versions'], {
        id: FANOUT_ACTOR.objectId,
        name: FANOUT_ACTOR.name,
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, subscribeNext));
  await replicas[0].notifications.notifier.pollEvents(); // the cursor starts at the log's head
  return {
    service,
    replicas,
    connector,
    async publishAndDrain(tag) {
      await service.versions.publish(tag, 'Fan-out release', FANOUT_ACTOR);
      await service.events.settled();
      const started = performance.now();
      const queued = await replicas[1].notifications.notifier.pollEvents();
      const drain = async (bot: BotApp) => {
        while ((await bot.notifications.outbox.pending()) > 0) {
          await bot.notifications.worker.tick();
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await Promise.all(replicas.map(drain));
      return { queued, seconds: (performance.now() - started) / 1000 };
    },
    async stop() {
      for (const bot of replicas) await bot.stop();
      await service.stop();
      await connector.stop();
    },
  };
}
