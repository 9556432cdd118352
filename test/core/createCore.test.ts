/**
 * The core built for a channel that is not Teams: a plain-text one whose ports record what they are
 * given, and whose replies read as plain words: nothing of the Teams edge takes part.
 */
import { describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../src/client/runtimeClient';
import { FakeClock } from '../../src/clock';
import { RETIREMENT_DEFAULTS } from '../../src/config';
import { createCore } from '../../src/core/createCore';
import type { Reply } from '../../src/core/replies';
import type { ChatRequest } from '../../src/core/request';
import { plainText } from '../../src/core/text';
import { createLogger } from '../../src/logger';
import { MemoryStorage } from '../../src/storage/memoryStorage';

function plainChannel() {
  const sent: { conversationKey: string; reply: Reply }[] = [];
  return {
    sent,
    ports: {
      name: 'plain',
      updater: { update: async () => undefined },
      sender: {
        conversationWindows: [{ limit: 1, ms: 1000 }],
        send: async (conversationKey: string, reply: Reply) => {
          sent.push({ conversationKey, reply });
          return { kind: 'sent' as const };
        },
      },
      readAttachment: async () => '',
    },
  };
}

function request(text: string): ChatRequest {
  return {
    user: { id: 'AAAA1111-0000-4000-8000-00000000000A', name: 'Alex', channelUserId: 'plain-alex' },
    conversation: { id: 'room-1', type: 'groupChat', key: 'plain.room-1' },
    text,
    attachments: [],
    correlationId: 'c-1',
    receivedAt: 0,
  };
}

function words(reply: Reply | undefined): string {
  return reply && 'text' in reply ? plainText(reply.text) : '';
}

describe('createCore', () => {
  const storage = new MemoryStorage();
  const channel = plainChannel();
  const core = createCore({
    storage,
    // Nothing here calls the runtime service: a closed port makes any call fail loudly.
    client: new RuntimeClient({ baseUrl: 'http://127.0.0.1:9' }),
    clock: new FakeClock(),
    log: createLogger('error', {}, () => undefined),
    config: {
      notifications: { digestTime: '08:00', idleWarningMinutes: 15, globalSendsPerSecond: 30 },
      retirement: RETIREMENT_DEFAULTS,
    },
    channel: channel.ports,
  });

  it('should answer in structured text that a plain channel shows as words', async () => {
    const [unknown] = await core.dispatcher.handle(request('frobnicate'));
    expect(unknown?.kind).toBe('error');
    expect(words(unknown)).toBe("I don't know frobnicate. Say help to see what I can do.");
    const [subscribed] = await core.dispatcher.handle(request('subscribe versions'));
    expect(words(subscribed)).toContain('Subscribed this conversation to versions.');
    expect(words(subscribed)).not.toMatch(/[*`]/);
    expect(await core.notifications.subscriptions.forTopic('versions')).toHaveLength(1);
  });

  it("should keep the channel's people under its own name", async () => {
    await core.people.remember(request('hi').user);
    expect(await core.people.channelIds(['aaaa1111-0000-4000-8000-00000000000a'])).toEqual(['plain-alex']);
    expect(Object.keys(await storage.read(['people/plain~aaaa1111-0000-4000-8000-00000000000a']))).toHaveLength(1);
  });

  it('should send notifications through the channel, within its windows', async () => {
    await core.notifications.outbox.enqueue('n-1', 'versions', { kind: 'text', text: [{ text: 'hello' }] }, ['k1']);
    expect(await core.notifications.worker.tick()).toMatchObject({ sent: 1 });
    expect(channel.sent.map((s) => [s.conversationKey, words(s.reply)])).toEqual([['k1', 'hello']]);
  });
});
