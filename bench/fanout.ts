/**
 * Fan-out: one version notice to 1,000 subscribed conversations, drained by two bot replicas through
 * a loopback connector that enforces Teams' limits, at the default global cap (src/config.ts). The
 * baseline is the floor those limits allow: delivered / globalPerSecond seconds. Once clean, once
 * with the faults of test/bot/fanout.test.ts (429s, 412s, 502/504s, 10 conversations gone).
 */
import { performance } from 'node:perf_hooks';
import { type BotApp, createBotApp } from '../src/bot/app';
import { ConversationStore } from '../src/bot/conversations';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createRuntimeServiceApp } from '../src/service/app';
import { localTimings } from '../src/service/providers/local/localProvider';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { botConfig, serviceConfig } from '../test/helpers/stack';
import { type FaultPlan, randomFaults, ThrottledConnector } from '../test/helpers/throttledConnector';
import { figure, type Figure, type SectionResult } from './lib/stats';

const SECTION = 'Fan-out';
const CONVERSATIONS = 1000;
const BLOCKED = new Set(Array.from({ length: 10 }, (_, i) => `19:conv-${i * 97}@thread.tacv2`));
const ACTOR = { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' };

interface Outcome {
  seconds: number;
  delivered: number;
  problems: string[];
  /** Refused attempts by status and by why: 'throttled' by the connector's limits, or an injected 'fault'. */
  refused: Record<string, number>;
  throttled: number;
  maxRate: number;
}

async function fanOut(globalPerSecond: number, faults?: FaultPlan): Promise<Outcome> {
  const log = createLogger('error');
  const botStorage = new MemoryStorage();
  const connector = new ThrottledConnector({
    globalPerSecond,
    ...(faults ? { faults } : {}),
    fingerprint: (_body, conversationId) => conversationId,
  });
  await connector.start();
  const service = createRuntimeServiceApp({
    config: serviceConfig(),
    storage: new MemoryStorage(),
    log,
    timings: localTimings(0),
    runWorkers: false,
  });
  const replicas: BotApp[] = [];
  try {
    const serviceUrl = await service.start();
    for (let i = 0; i < 2; i++) {
      const bot = createBotApp({
        config: botConfig({ notifications: { idleWarningMinutes: 15, globalSendsPerSecond: globalPerSecond } }),
        storage: botStorage,
        log,
        serviceUrl,
        runTracker: false,
      });
      await bot.start();
      replicas.push(bot);
    }
    const references = new ConversationStore(botStorage, ['127.0.0.1']);
    const subs = replicas[0].notifications.subscriptions;
    for (let i = 0; i < CONVERSATIONS; i++) {
      const id = `19:conv-${i}@thread.tacv2`;
      const key = await references.save({
        channelId: 'msteams',
        serviceUrl: connector.url,
        conversation: { id, conversationType: 'channel', isGroup: true, name: `conv ${i}` },
        bot: { id: 'bot', name: 'Runtime bot' },
      });
      await subs.subscribe(key!, { id, type: 'channel' }, ['versions'], { id: ACTOR.objectId, name: ACTOR.name });
    }
    await replicas[0].notifications.notifier.pollEvents(); // the cursor starts at the log's head
    await service.versions.publish('20991231.v1', 'Fan-out bench release', ACTOR);
    const started = performance.now();
    const queued = await replicas[1].notifications.notifier.pollEvents();
    const drain = async (bot: BotApp) => {
      while ((await bot.notifications.outbox.pending()) > 0) {
        await bot.notifications.worker.tick();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all(replicas.map(drain));
    const seconds = (performance.now() - started) / 1000;

    const expected = CONVERSATIONS - (faults ? BLOCKED.size : 0);
    const delivered = connector.accepted().length;
    const problems: string[] = [];
    if (queued !== CONVERSATIONS) problems.push(`${queued} notices queued, not ${CONVERSATIONS}`);
    if (delivered !== expected) problems.push(`${delivered} cards delivered, not ${expected}`);
    const duplicates = connector.duplicates((a) => JSON.stringify(a.attachments?.[0]?.content ?? a.text));
    if (duplicates.length) problems.push(`${duplicates.length} conversations got a duplicate`);
    const maxRate = connector.maxObservedRate(undefined, 1000);
    if (maxRate > globalPerSecond) problems.push(`${maxRate} sends in one second, over the cap of ${globalPerSecond}`);
    const refused: Record<string, number> = {};
    for (const r of connector.rejected())
      refused[`${r.status} ${r.reason}`] = (refused[`${r.status} ${r.reason}`] ?? 0) + 1;
    const throttled = connector.rejected().filter((r) => r.reason === 'throttled').length;
    return { seconds, delivered, problems, refused, throttled, maxRate };
  } finally {
    for (const bot of replicas) await bot.stop();
    await service.stop();
    await connector.stop();
  }
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  // The default cap, read the way the product reads it (no SEND_RATE_GLOBAL_PER_SECOND set).
  const cap = loadConfig({}).bot.notifications.globalSendsPerSecond;
  const faults = randomFaults({
    seed: 8,
    rate429: 0.04,
    rate5xx: 0.03,
    rate412: 0.02,
    statuses5xx: [502, 504],
    blocked: BLOCKED,
  });
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const [label, plan] of [
    ['no faults', undefined],
    ['with faults', faults],
  ] as const) {
    const o = await fanOut(cap, plan);
    const floor = o.delivered / cap;
    figures.push(
      figure(
        SECTION,
        `version notice to ${CONVERSATIONS.toLocaleString('en-US')} conversations, ${label}`,
        o.seconds,
        's',
        { name: `floor: ${o.delivered} cards at ${cap}/s`, value: floor },
        'lower',
      ),
    );
    const refused = Object.entries(o.refused).map(([why, n]) => `${n}×${why}`);
    notes.push(
      `${label}: ${o.delivered} cards delivered, at most ${o.maxRate} in any second; refused attempts: ` +
        `${refused.length ? refused.join(', ') : 'none'}.` +
        (o.problems.length ? ` CHECK FAILED: ${o.problems.join('; ')}.` : ' No loss, no duplicate.'),
    );
    if (!plan && o.throttled)
      notes.push(
        `With no fault injected the connector still throttled ${o.throttled} sends: each conversation gets one card, so ` +
          `it was the global cap. The outbox reserves ${cap} per 1.1 s in storage before it sends; a reservation and the ` +
          "send's arrival drift apart by more than that margin when the replicas' event loop is busy. The sends were retried.",
      );
  }
  notes.push(`Two replicas drain one shared outbox in real time; global cap ${cap}/s (the default in src/config.ts).`);
  return { section: SECTION, seconds: (Date.now() - started) / 1000, figures, notes };
}
