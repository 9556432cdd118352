/**
 * Fan-out of one version notice to 100 subscribed conversations, through a loopback Bot Connector
 * that enforces Teams' limits (7/1 s, 8/2 s, 60/30 s per conversation, a global cap per second) and
 * injects 429s, 412s, 502/504s and 403s. Two bot replicas drain the one durable queue at once, in
 * real time. Nothing may be lost, nothing duplicated, and no accepted send may break a limit.
 * The time taken is reported next to the lower bound the global cap allows; it is not asserted.
 * `npm run bench` (bench/fanout.ts) runs the same stack at 1,000 conversations; 100 keep the suite fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKED, conversationId, type FanoutStack, FAULTS, startFanoutStack } from '../../helpers/fanoutStack';

const CONVERSATIONS = 100;
const GLOBAL_PER_SECOND = 50;
/** The BLOCKED conversations among the ones subscribed. */
const blocked = Array.from({ length: CONVERSATIONS }, (_, i) => conversationId(i)).filter((id) => BLOCKED.has(id));

describe('fan-out of a version notice to 100 conversations', () => {
  let stack: FanoutStack;

  beforeAll(async () => {
    stack = await startFanoutStack({
      conversations: CONVERSATIONS,
      globalPerSecond: GLOBAL_PER_SECOND,
      faults: FAULTS,
    });
  }, 120_000);

  afterAll(async () => stack?.stop());

  it('should deliver exactly one card to every conversation that still has the bot, within the limits', async () => {
    const { connector, replicas } = stack;
    const { queued, seconds } = await stack.publishAndDrain('20991231.v1');
    expect(queued).toBe(CONVERSATIONS);

    expect(blocked.length).toBeGreaterThan(1);
    const delivered = CONVERSATIONS - blocked.length;
    expect(connector.accepted()).toHaveLength(delivered);
    expect(connector.duplicates((a) => JSON.stringify(a.attachments?.[0]?.content ?? a.text))).toEqual([]);
    for (const id of blocked) expect(connector.accepted(id)).toHaveLength(0);
    expect(connector.maxObservedRate(undefined, 1000)).toBeLessThanOrEqual(GLOBAL_PER_SECOND);
    expect(await replicas[0].notifications.outbox.deadLetters.ids()).toEqual([]);

    // The bot was removed from the blocked conversations: their subscriptions are gone, and audited.
    const left = await replicas[0].notifications.subscriptions.forTopic('versions');
    expect(left).toHaveLength(delivered);
    const audit = await replicas[0].audit.recent({ limit: 100 });
    const drops = audit.filter((e) => e.action === 'unsubscribe' && e.actor.id === 'system');
    expect(drops.map((e) => e.conversation?.id).sort()).toEqual([...blocked].sort());

    const byStatus = connector
      .rejected()
      .reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    const lowerBound = delivered / GLOBAL_PER_SECOND;
    console.info(
      `[fan-out] ${delivered} cards to ${CONVERSATIONS} conversations (${blocked.length} blocked) in ${seconds.toFixed(1)} s; ` +
        `lower bound at ${GLOBAL_PER_SECOND}/s: ${lowerBound.toFixed(1)} s (ratio ${(seconds / lowerBound).toFixed(2)}); ` +
        `refused attempts by status: ${JSON.stringify(byStatus)}`,
    );
  }, 240_000);
});
