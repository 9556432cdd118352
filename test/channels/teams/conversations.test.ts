/**
 * Conversation references are written when what continuing the conversation needs changes, not on
 * every activity: a read-only turn writes nothing to the bot's storage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/channels/teams/conversations';
import type { ConversationReference } from '../../../src/channels/teams/sdk';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { type Stack, startStack } from '../../helpers/stack';

const HOSTS = ['smba.trafficmanager.net', '127.0.0.1'];

function reference(extra: Partial<ConversationReference> = {}): Partial<ConversationReference> {
  return {
    activityId: 'activity-1',
    user: { id: 'user-id-0', name: 'Alex Wilber' },
    bot: { id: '28:bot-id', name: 'Runtime Bot' },
    conversation: {
      id: 'a:personal-alex',
      conversationType: 'personal',
      tenantId: 'tenant-1',
      isGroup: false,
      name: '',
    },
    channelId: 'msteams',
    locale: 'en-US',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    ...extra,
  };
}

describe('ConversationStore', () => {
  it('should write a reference when it is new or what continuing it needs has changed, and not otherwise', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const store = new ConversationStore(storage, HOSTS);
    const key = await store.save(reference());
    expect(storage.writes()).toBe(1);

    // Another message of the same conversation: a new activity id, another sender, another locale.
    await store.save(
      reference({ activityId: 'activity-2', user: { id: 'user-id-1', name: 'Megan' }, locale: 'de-DE' }),
    );
    expect(storage.writes()).toBe(1);
    expect(storage.calls).toHaveLength(2); // the first save's read and write; nothing since

    const moved = { serviceUrl: 'https://smba.trafficmanager.net/amer/' };
    await store.save(reference(moved));
    expect(storage.writes()).toBe(2);
    expect((await store.get(key!))?.serviceUrl).toBe(moved.serviceUrl);

    await store.save(reference({ ...moved, conversation: { ...reference().conversation!, tenantId: 'tenant-2' } }));
    await store.save(
      reference({
        ...moved,
        conversation: { ...reference().conversation!, tenantId: 'tenant-2' },
        bot: { id: '28:other-bot', name: 'Runtime Bot' },
      }),
    );
    expect(storage.writes()).toBe(4);
  });

  it('should read, not write, what another process stored already', async () => {
    const shared = new MemoryStorage();
    await new ConversationStore(shared, HOSTS).save(reference());
    const storage = new CountingStorage(shared);
    const otherProcess = new ConversationStore(storage, HOSTS);
    await otherProcess.save(reference({ activityId: 'activity-9' }));
    await otherProcess.save(reference({ activityId: 'activity-10' }));
    expect([storage.count('read'), storage.writes()]).toEqual([1, 0]);
  });
});

describe('a read-only turn', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it.each([
    ['a personal chat', { kind: 'personal' as const }],
    [
      'a channel thread',
      { kind: 'channel' as const, conversationId: '19:general@thread.tacv2;messageid=1700000000001' },
    ],
  ])('should write nothing to the bot storage for `status` in %s it knows', async (_where, where) => {
    const botStorage = new CountingStorage(new MemoryStorage());
    stack = await startStack({ storage: { bot: botStorage } });
    expect((await stack.say('help', 'alex', where)).status).toBe(200); // the bot meets the conversation
    expect(botStorage.writes()).toBeGreaterThan(0);

    botStorage.reset();
    for (const text of ['status', 'status chat-dev', 'list', 'versions']) {
      const turn = await stack.say(text, 'alex', where);
      expect(turn.status).toBe(200);
      expect(stack.connector.calls.at(-1)?.activity.attachments?.length).toBe(1); // it did answer, with a card
    }
    expect(botStorage.lines().filter((l) => !l.startsWith('read ') && !l.startsWith('list '))).toEqual([]);
  });
});
