/**
 * Fan-out of one version notice to 1,000 subscribed conversations, through a loopback Bot Connector
 * that enforces Teams' limits (7/1 s, 8/2 s, 60/30 s per conversation, a global cap per second) and
 * injects 429s, 412s, 502/504s and 403s. Two bot replicas drain the one durable queue at once, in
 * real time. Nothing may be lost, nothing duplicated, and no accepted send may break a limit.
 * The time taken is reported next to the lower bound the global cap allows; it is not asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotApp, createBotApp } from '../../src/bot/app';
import { ConversationStore } from '../../src/bot/conversations';
import { systemClock } from '../../src/clock';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { botConfig, serviceConfig } from '../helpers/stack';
import { randomFaults, ThrottledConnector } from '../helpers/throttledConnector';

const CONVERSATIONS = 1000;
const GLOBAL_PER_SECOND = 50;
const BLOCKED = new Set(Array.from({ length: 10 }, (_, i) => `19:conv-${i * 97}@thread.tacv2`));
const ACTOR = { objectId: '00000000-0000-0000-0000-0000000000021', name: 'Megan Bowen' };

describe('fan-out of a version notice to 1,000 conversations', () => {
  const log = createLogger('silent');
  const botStorage = new MemoryStorage();
  const connector = new ThrottledConnector({
    globalPerSecond: GLOBAL_PER_SECOND,
    faults: randomFaults({
      seed: 8,
      rate429: 0.04,
      rate5xx: 0.03,
      rate412: 0.02,
      statuses5xx: [502, 504],
      blocked: BLOCKED,
    }),
    fingerprint: (_body, conversationId) => conversationId,
  });
  let service: RuntimeServiceApp;
  let replicas: BotApp[] = [];

  beforeAll(async () => {
    await connector.start();
    service = createRuntimeServiceApp({
      config: serviceConfig(),
      storage: new MemoryStorage(),
      log,
      timings: localTimings(0),
      runWorkers: false,
    });
    const serviceUrl = await service.start();
    replicas = [0, 1].map(() =>
      createBotApp({
        config: botConfig({
          notifications: { idleWarningMinutes: 15, globalSendsPerSecond: GLOBAL_PER_SECOND },
        }),
        storage: botStorage,
        log,
        serviceUrl,
        clock: systemClock,
        runTracker: false,
      }),
    );
    for (const bot of replicas) await bot.start();
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
  }, 120_000);

  afterAll(async () => {
    for (const bot of replicas) await bot.stop();
    await service?.stop();
    await connector.stop();
  });

  it('should deliver exactly one card to every conversation that still has the bot, within the limits', async () => {
    await replicas[0].notifications.notifier.pollEvents(); // the cursor starts at the log's head
    await service.versions.publish('20991231.v1', 'Fan-out test release', ACTOR);
    const started = Date.now();
    const queued = await replicas[1].notifications.notifier.pollEvents();
    expect(queued).toBe(CONVERSATIONS);
    const drain = async (bot: BotApp) => {
      while ((await bot.notifications.outbox.pending()) > 0) {
        await bot.notifications.worker.tick();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all(replicas.map(drain));
    const seconds = (Date.now() - started) / 1000;

    const delivered = CONVERSATIONS - BLOCKED.size;
    expect(connector.accepted()).toHaveLength(delivered);
    expect(connector.duplicates((a) => JSON.stringify(a.attachments?.[0]?.content ?? a.text))).toEqual([]);
    for (const id of BLOCKED) expect(connector.accepted(id)).toHaveLength(0);
    expect(connector.maxObservedRate(undefined, 1000)).toBeLessThanOrEqual(GLOBAL_PER_SECOND);
    expect(await replicas[0].notifications.outbox.deadLetters.ids()).toEqual([]);

    // The bot was removed from the blocked conversations: their subscriptions are gone, and audited.
    const left = await replicas[0].notifications.subscriptions.forTopic('versions');
    expect(left).toHaveLength(delivered);
    const audit = await replicas[0].audit.recent({ limit: 100 });
    const drops = audit.filter((e) => e.action === 'unsubscribe' && e.actor.id === 'system');
    expect(drops.map((e) => e.conversation?.id).sort()).toEqual([...BLOCKED].sort());

    const rejected = connector.rejected();
    const byStatus = rejected.reduce<Record<number, number>>(
      (m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }),
      {},
    );
    const lowerBound = delivered / GLOBAL_PER_SECOND;
    console.info(
      `[fan-out] ${delivered} cards to ${CONVERSATIONS} conversations (${BLOCKED.size} blocked) in ${seconds.toFixed(1)} s; ` +
        `lower bound at ${GLOBAL_PER_SECOND}/s: ${lowerBound.toFixed(1)} s (ratio ${(seconds / lowerBound).toFixed(2)}); ` +
        `refused attempts by status: ${JSON.stringify(byStatus)}`,
    );
  }, 240_000);
});
