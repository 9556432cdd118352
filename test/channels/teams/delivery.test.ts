/**
 * Delivery guarantees of the bot: Teams redelivers slow messages (with the same or a new activity
 * id) and a redelivery must not start a second operation; an accepted change is acknowledged once
 * and then that message is updated until the operation ends; conversation references are stored
 * durably, and only for allow-listed service URLs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/channels/teams/conversations';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { messageActivity, postActivity } from '../../helpers/activities';
import { type Stack, startStack } from '../../helpers/stack';
import { ask, conversationOf, everywhere, inOrder, operations, PLACES, shownText, visibleText } from './support';

const ALREADY = "I'm already on that `reset`; its progress is in my earlier message.";

let stack: Stack;

beforeEach(async () => {
  stack = await startStack();
});

afterEach(async () => {
  await stack?.close();
});

/** Acknowledgements of accepted changes (they name their operation) among the messages the bot sent. */
function acks(): string[] {
  return stack.connector
    .sent()
    .map((c) => visibleText(c.activity))
    .filter((t) => /Operation `?[0-9a-f-]{36}/.test(t));
}

/** What the bot sent, as the user reads it. */
const sentTexts = () => stack.connector.sent().map((c) => visibleText(c.activity));

describe('redelivery', () => {
  it.each(PLACES)('should start one operation when the same activity is POSTed twice in %s', async (_label, where) => {
    const activity = messageActivity(stack.connector.url, 'reset chat-dev', 'alex', where);
    expect((await postActivity(stack.botUrl, activity)).status).toBe(200);
    expect((await postActivity(stack.botUrl, activity)).status).toBe(200);
    expect(await operations(stack, 'reset', 'chat-dev')).toHaveLength(1);
    expect(acks()).toHaveLength(1);
  });

  it.each(PLACES)(
    'should start one operation when the same activity arrives twice at once in %s',
    async (_label, where) => {
      const activity = messageActivity(stack.connector.url, 'reset chat-dev', 'alex', where);
      const results = await Promise.all([postActivity(stack.botUrl, activity), postActivity(stack.botUrl, activity)]);
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      expect(await operations(stack, 'reset', 'chat-dev')).toHaveLength(1);
      expect(acks()).toHaveLength(1);
      expect(sentTexts()).toContain(ALREADY);
    },
  );

  it.each(PLACES)(
    'should answer a redelivery under a new activity id within a minute with a short note in %s',
    async (_label, where) => {
      const first = await ask(stack, 'reset chat-dev', 'alex', where);
      expect(first.replies[0]).toContain('Resetting chat-dev');
      stack.clock.advance(59_000);
      const again = await ask(stack, 'reset chat-dev', 'alex', where);
      expect(again.replies).toEqual([ALREADY]);
      expect(await operations(stack, 'reset', 'chat-dev')).toHaveLength(1);
    },
  );

  it.each(PLACES)(
    'should treat the same text after more than a minute as a new request in %s',
    async (_label, where) => {
      await stack.say('reset chat-dev', 'alex', where);
      await stack.settle();
      stack.clock.advance(61_000);
      const again = await ask(stack, 'reset chat-dev', 'alex', where);
      expect(inOrder(again.replies[0], 'Resetting chat-dev', 'in progress')).toBe(true);
      expect(await operations(stack, 'reset', 'chat-dev')).toHaveLength(2);
    },
  );

  // The activity id names one message: seeing it again is a redelivery whenever it comes.
  it.each(PLACES)(
    'should not start a second operation for the same activity id after the minute in %s',
    async (_label, where) => {
      const activity = messageActivity(stack.connector.url, 'reset chat-dev', 'alex', where);
      await postActivity(stack.botUrl, activity);
      await stack.settle();
      stack.clock.advance(61_000);
      await postActivity(stack.botUrl, activity);
      expect(await operations(stack, 'reset', 'chat-dev')).toHaveLength(1);
    },
  );

  it.each(
    everywhere([
      { text: 'reset nope-runtime', error: 'There is no runtime named nope-runtime.' },
      { text: 'reset legacy-ocr', error: 'Cannot reset legacy-ocr while it is Unavailable.' },
      { text: 'upgrade chat-dev', error: 'chat-dev already runs the latest image version' },
      { text: 'reset', error: 'Which runtime? Give its name.' },
    ]),
  )('should let $text be retried at once after it failed in $place', async ({ text, error, where }) => {
    const first = await ask(stack, text, 'alex', where);
    const second = await ask(stack, text, 'alex', where);
    expect(first.replies).toHaveLength(1);
    expect(first.replies[0]).toContain(error);
    expect(second.replies).toEqual(first.replies);
    expect(await operations(stack)).toHaveLength(0);
  });

  it.each(PLACES)("should not take another user's identical message for a redelivery in %s", async (_label, where) => {
    await stack.say('reset chat-dev', 'alex', where);
    const megan = await ask(stack, 'reset chat-dev', 'megan', where);
    // It reaches the service, which says the runtime is busy with Alex's reset.
    expect(megan.replies[0]).toContain('chat-dev is busy');
    expect(megan.replies[0]).toContain('Alex Wilber');
  });

  it('should not take the same text in another conversation for a redelivery', async () => {
    await stack.say('reset chat-dev', 'alex', { kind: 'personal' });
    const channel = await ask(stack, 'reset chat-dev', 'alex', { kind: 'channel' });
    expect(channel.replies[0]).toContain('chat-dev is busy');
  });
});

describe('acknowledgement and updates', () => {
  it.each(PLACES)('should acknowledge once, then update only that message until done in %s', async (_label, where) => {
    const { replies, ids } = await ask(stack, 'reset chat-dev', 'alex', where);
    expect(replies).toHaveLength(1);
    expect(inOrder(replies[0], 'Resetting chat-dev', 'in progress')).toBe(true);
    const ackId = ids[0];
    const before = stack.connector.calls.length;

    await stack.advance(3_000); // deleted, now starting again on the latest image
    await stack.advance(6_000); // running
    await stack.advance(60_000); // nothing more to show
    await stack.settle();

    const later = stack.connector.calls.slice(before);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const call of later) {
      expect(call).toMatchObject({ method: 'PUT', id: ackId, conversationId: conversationOf(where) });
    }
    const texts = later.map((c) => visibleText(c.activity));
    expect(inOrder(texts[0], 'Resetting chat-dev', 'in progress')).toBe(true);
    expect(texts[0]).toContain('Starting chat-dev on image');
    expect(inOrder(texts.at(-1)!, 'Resetting chat-dev', 'done')).toBe(true);
    expect(texts.filter((t) => inOrder(t, 'Resetting chat-dev', 'done'))).toHaveLength(1);
    expect(await stack.botStorage.list('tracked-operations/')).toEqual([]);
  });

  it('should update each acknowledgement with its own operation', async () => {
    const reset = await ask(stack, 'reset chat-dev');
    const upgrade = await ask(stack, 'upgrade prod-chat');
    await stack.settle();
    expect(inOrder(shownText(stack, reset.ids[0]), 'Resetting chat-dev', 'done')).toBe(true);
    expect(inOrder(shownText(stack, upgrade.ids[0]), 'Upgrading prod-chat', 'done')).toBe(true);
    expect(stack.connector.updates(reset.ids[0]).length).toBeGreaterThan(0);
    expect(stack.connector.updates(reset.ids[0]).every((c) => !visibleText(c.activity).includes('prod-chat'))).toBe(
      true,
    );
    expect(stack.connector.updates(upgrade.ids[0]).every((c) => !/(^|\n)Resetting/.test(visibleText(c.activity)))).toBe(
      true,
    );
  });

  it.each(PLACES)(
    'should not follow a change that was done by the time it was acknowledged in %s',
    async (_label, where) => {
      const { replies } = await ask(stack, 'update chat-dev --idle 90', 'alex', where);
      expect(inOrder(replies[0], 'Updating chat-dev', 'done')).toBe(true);
      await stack.settle();
      expect(stack.connector.updates()).toHaveLength(0);
    },
  );

  it.each(PLACES)('should show the failure in the acknowledged message in %s', async (_label, where) => {
    const { ids } = await stack.say('install chat-dev numpy==0.0.1', 'alex', where);
    await stack.settle();
    expect(stack.connector.sent()).toHaveLength(1);
    expect(inOrder(shownText(stack, ids[0]), 'Installing packages into chat-dev', 'failed')).toBe(true);
  });
});

describe('conversation references', () => {
  it.each(PLACES)('should store the reference of the conversation in %s', async (_label, where) => {
    await stack.say('list', 'alex', where);
    const key = ConversationStore.keyOf(conversationOf(where));
    expect(await stack.botStorage.list('conversations/')).toEqual([`conversations/${key}`]);
    const stored = (await stack.botStorage.read([`conversations/${key}`]))[`conversations/${key}`];
    expect(stored).toMatchObject({
      reference: { serviceUrl: stack.connector.url, channelId: 'msteams', conversation: { id: conversationOf(where) } },
    });
  });

  it('should keep one reference per conversation', async () => {
    await stack.say('list', 'alex', { kind: 'personal' });
    await stack.say('status', 'alex', { kind: 'personal' });
    await stack.say('list', 'megan', { kind: 'personal' });
    await stack.say('list', 'alex', { kind: 'channel' });
    expect(await stack.botStorage.list('conversations/')).toHaveLength(3);
  });

  it.each(PLACES)(
    'should neither store nor update through a service URL that is not allow-listed in %s',
    async (_label, where) => {
      const strict = await startStack({
        bot: { allowedServiceUrlHosts: ['smba.trafficmanager.net', '*.botframework.com'] },
      });
      try {
        const { replies } = await ask(strict, 'reset chat-dev', 'alex', where);
        expect(replies[0]).toContain('Resetting chat-dev'); // the turn's own reply still goes back
        expect(await strict.botStorage.list('conversations/')).toEqual([]);
        expect(await strict.botStorage.list('tracked-operations/')).toEqual([]);
        await strict.settle();
        expect((await operations(strict, 'reset', 'chat-dev'))[0].status).toBe('Succeeded');
        expect(strict.connector.updates()).toHaveLength(0);
        expect(strict.connector.calls).toHaveLength(1);
      } finally {
        await strict.close();
      }
    },
  );

  it.each([
    { url: 'https://smba.trafficmanager.net/amer/', allowed: true },
    { url: 'https://SMBA.TrafficManager.net/emea/', allowed: true },
    { url: 'https://europe.webchat.botframework.com/', allowed: true },
    { url: 'https://evilbotframework.com/', allowed: false },
    { url: 'https://botframework.com.evil.example/', allowed: false },
    { url: 'https://smba.trafficmanager.net@evil.example/', allowed: false },
    { url: 'https://smba.trafficmanager.net.evil.example/', allowed: false },
    { url: 'not a url', allowed: false },
    { url: '', allowed: false },
  ])('should judge the service URL $url as allowed=$allowed', ({ url, allowed }) => {
    const store = new ConversationStore(new MemoryStorage(), ['smba.trafficmanager.net', '*.botframework.com']);
    expect(store.isAllowed(url)).toBe(allowed);
  });

  it('should not hand out a stored reference whose host is no longer allowed', async () => {
    const storage = new MemoryStorage();
    const reference = { serviceUrl: 'https://old-relay.example/', conversation: { id: 'c-1' } };
    const key = await new ConversationStore(storage, ['old-relay.example']).save(reference as never);
    expect(key).toBeDefined();
    expect(await new ConversationStore(storage, ['old-relay.example']).get(key!)).toMatchObject(reference);
    expect(await new ConversationStore(storage, ['smba.trafficmanager.net']).get(key!)).toBeUndefined();
  });
});
