/**
 * Notifications through the whole product: a channel subscribes in chat, the runtime service
 * publishes a version or an operation fails, and the card arrives in that channel through the
 * loopback connector, once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../helpers/stack';

const CHANNEL = { kind: 'channel' as const, conversationId: '19:runtime-ops@thread.tacv2' };
/** A message in a channel thread: Teams names the thread in the conversation id. */
const THREAD = { kind: 'channel' as const, conversationId: '19:runtime-ops@thread.tacv2;messageid=1700000000000' };
const ALEX = { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' };

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => stack.close());

function cardsIn(conversationId: string) {
  return stack.connector
    .sent(conversationId)
    .filter((c) => c.activity.attachments?.length)
    .map((c) => c.activity.attachments![0].content as { body: unknown[] });
}

describe('subscriptions in chat', () => {
  it('should subscribe, list and unsubscribe a channel', async () => {
    const sub = await stack.say('subscribe versions failures', 'alex', CHANNEL);
    expect(sub.replies[0]).toContain('Subscribed this conversation to versions, failures');
    const again = await stack.say('subscribe versions', 'alex', CHANNEL);
    expect(again.replies[0]).toContain('already subscribed to versions');
    expect((await stack.say('subscriptions', 'alex', CHANNEL)).replies[0]).toMatch(/versions.*\n.*failures/s);
    const un = await stack.say('unsubscribe failures', 'alex', CHANNEL);
    expect(un.replies[0]).toContain('Unsubscribed this conversation from failures');
    expect((await stack.say('subscriptions', 'alex', CHANNEL)).replies[0]).not.toContain('failures');
  });

  it('should subscribe the channel itself when asked inside a thread', async () => {
    await stack.say('subscribe versions', 'alex', THREAD);
    expect((await stack.say('subscriptions', 'alex', CHANNEL)).replies[0]).toContain('**versions**');
    await stack.bot.notifications.runOnce();
    await stack.service.versions.publish('20991231.v2', undefined, ALEX);
    await stack.service.events.settled();
    await stack.bot.notifications.runOnce();
    expect(cardsIn(CHANNEL.conversationId)).toHaveLength(1);
    expect(cardsIn(THREAD.conversationId)).toHaveLength(0);
  });

  it('should explain an unknown topic with the list of topics', async () => {
    const r = await stack.say('subscribe vresions', 'alex', CHANNEL);
    expect(r.replies[0]).toContain('Unknown topic');
    expect(r.replies[0]).toContain('versions, failures, idle, digest');
    expect((await stack.say('subscriptions', 'alex', CHANNEL)).replies[0]).toContain('gets no notices');
  });
});

describe('a new image version', () => {
  it('should post the outdated runtimes with Upgrade buttons to subscribed conversations only', async () => {
    await stack.say('subscribe versions', 'alex', CHANNEL);
    await stack.say('subscribe failures', 'alex', { kind: 'personal' });
    await stack.bot.notifications.runOnce(); // the cursor starts at the log's head
    await stack.service.versions.publish('20991231.v1', 'A test release', ALEX);
    await stack.service.events.settled();
    const round = await stack.bot.notifications.runOnce();
    expect(round).toMatchObject({ queued: 1, sent: 1 });
    const cards = cardsIn(CHANNEL.conversationId);
    expect(cards).toHaveLength(1);
    // A new post in the channel, not a reply to the message that subscribed it.
    const post = stack.connector.sent(CHANNEL.conversationId).at(-1)!;
    expect(post.activityId).toBeUndefined();
    const json = JSON.stringify(cards[0]);
    expect(json).toContain('New base image version');
    expect(json).toContain('20991231.v1');
    expect(json).toContain('runtime.upgrade');
    const report = (await (await fetch(`${stack.serviceUrl}/v1/versions`)).json()) as { outdated: { name: string }[] };
    const outdated = report.outdated.map((o) => o.name);
    expect(outdated.length).toBeGreaterThan(0);
    for (const name of outdated.slice(0, 20)) expect(json).toContain(`"name":"${name}"`);
    // Nothing more on the next rounds: exactly once.
    await stack.bot.notifications.runOnce();
    expect(cardsIn(CHANNEL.conversationId)).toHaveLength(1);
    expect(cardsIn('a:personal-alex')).toHaveLength(0);
  });
});

describe('a failure', () => {
  const GROUP = '19:flow-builders@thread.v2';
  const inGroup = {
    conversation: {
      id: GROUP,
      conversationType: 'groupChat',
      isGroup: true,
      tenantId: '00000000-0000-0000-0000-0000000000001',
    },
  };

  it('should post the reason and the useful actions to a subscribed group chat', async () => {
    const sub = await stack.say('subscribe failures', 'alex', { kind: 'personal' }, inGroup);
    expect(sub.replies[0]).toContain('Subscribed this conversation to failures');
    await stack.bot.notifications.runOnce(); // the cursor starts at the log's head
    await stack.say('install chat-dev langchain==0.0.1a', 'alex', { kind: 'personal' });
    await stack.settle();
    await stack.bot.notifications.runOnce();
    const cards = cardsIn(GROUP);
    expect(cards).toHaveLength(1);
    const json = JSON.stringify(cards[0]);
    expect(json).toContain('Runtime failure');
    expect(json).toContain('chat-dev');
    expect(json).toContain('langchain==0.0.1a');
    for (const verb of ['operation.retry', 'runtime.reset', 'runtime.view']) expect(json).toContain(verb);
    // Only the subscribed conversation hears about it; the person's chat has its own progress card.
    expect(cardsIn('a:personal-alex').some((c) => JSON.stringify(c).includes('Runtime failure'))).toBe(false);
  });
});
