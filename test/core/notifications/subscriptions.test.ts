/**
 * Topics and the subscription store: parsing what a user typed, subscribing, unsubscribing and
 * dropping a conversation, and concurrent subscribes from several replicas keeping every topic.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, iso } from '../../../src/clock';
import { type Subscription, SubscriptionStore } from '../../../src/core/notifications/subscriptions';
import { describeTopics, subscriptionText, topicsArg } from '../../../src/core/notifications/subscriptionText';
import { parseTopics, TOPIC_TITLES, TOPICS, type Topic } from '../../../src/core/notifications/topics';
import type { ChatConversation } from '../../../src/core/request';
import { AppError } from '../../../src/errors';
import { Collection } from '../../../src/storage/collection';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import type { Storage } from '../../../src/storage/storage';
import { markup } from '../../helpers/textMarkup';

const ALL: Topic[] = ['versions', 'failures', 'idle', 'digest'];
const CHANNEL: ChatConversation = {
  id: '19:runtime-ops@thread.tacv2',
  type: 'channel',
  name: 'Runtime Ops',
  tenantId: 't1',
  key: 'k-channel',
};
const ALEX = { id: 'u-alex', name: 'Alex Wilber', tenantId: 't1', channelUserId: '29:alex' };
const MEGAN = { id: 'u-megan', name: 'Megan Bowen' };
const tmpDirs: string[] = [];

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describe('parseTopics', () => {
  it.each<[string, string[], Topic[], string[]]>([
    ['nothing', [], ALL, []],
    ['all', ['all'], ALL, []],
    ['ALL in capitals', ['ALL'], ALL, []],
    ['one topic', ['digest'], ['digest'], []],
    ['topics in another order, kept in canonical order', ['idle', 'versions'], ['versions', 'idle'], []],
    ['a duplicate', ['idle', 'IDLE'], ['idle'], []],
    ['commas', ['versions,failures'], ['versions', 'failures'], []],
    ['commas and spaces', ['versions,', ',idle', 'digest'], ['versions', 'idle', 'digest'], []],
    ['only commas: the same as nothing', [',', ' , '], ALL, []],
    ['the singular version', ['version'], ['versions'], []],
    ['failure and failed', ['failure', 'Failed'], ['failures'], []],
    ['all with another topic', ['all', 'idle'], ALL, []],
    ['a misspelling', ['vresions'], [], ['vresions']],
    ['a known and an unknown word', ['versions', 'Bogus'], ['versions'], ['Bogus']],
    ['unknown words inside commas', ['idle,nope, Zap'], ['idle'], ['nope', 'Zap']],
    ['a plural synonym that is not one', ['digests'], [], ['digests']],
  ])('%s', (_label, words, topics, unknown) => {
    expect(parseTopics(words)).toEqual({ topics, unknown });
  });

  it('should have a title for every topic', () => {
    expect([...TOPICS]).toEqual(ALL);
    for (const t of TOPICS) expect(TOPIC_TITLES[t].length).toBeGreaterThan(0);
  });
});

describe('topic words in replies', () => {
  it('should turn unknown words into a usage error that lists the topics', () => {
    expect(topicsArg(['failures', 'idle'])).toEqual(['failures', 'idle']);
    let error: unknown;
    try {
      topicsArg(['versions', 'vresions']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as Error).message).toContain('vresions');
    expect((error as Error).message).toContain('versions, failures, idle, digest or all');
  });

  it('should describe all topics as every topic, and some by name', () => {
    expect(describeTopics(ALL)).toBe('every topic');
    expect(describeTopics(['versions', 'digest'])).toBe('versions, digest');
  });

  it('should list what the conversation gets, or how to start', () => {
    expect(markup(subscriptionText([]))).toContain('gets no notices');
    const text = markup(subscriptionText(['versions', 'idle']));
    expect(text).toContain('**versions**');
    expect(text).toContain('**idle**');
    expect(text).not.toContain('**failures**');
  });
});

describe('SubscriptionStore', () => {
  let storage: Storage;
  let clock: FakeClock;
  let store: SubscriptionStore;

  /** The stored record's eTag: it changes on every write. */
  const eTagOf = async (key: string) => (await new Collection<Subscription>(storage, 'subscriptions').get(key))?.eTag;

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new FakeClock();
    store = new SubscriptionStore(storage, clock);
  });

  it('should subscribe a conversation with who asked and when', async () => {
    expect(await store.subscribe('k-channel', CHANNEL, ['versions', 'failures'], ALEX)).toEqual({
      topics: ['versions', 'failures'],
      added: ['versions', 'failures'],
    });
    const sub = await store.get('k-channel');
    expect(sub).toMatchObject({
      conversationKey: 'k-channel',
      conversation: { id: CHANNEL.id, type: 'channel', name: 'Runtime Ops' },
      topics: ['versions', 'failures'],
      by: { id: 'u-alex', name: 'Alex Wilber' },
      since: iso(clock.now()),
    });
    // Only what is needed to post there: no tenant, key or channel user id.
    expect(sub!.conversation).not.toHaveProperty('tenantId');
    expect(sub!.conversation).not.toHaveProperty('key');
    expect(sub!.by).not.toHaveProperty('channelUserId');
  });

  it('should add topics to what is there, keep since, and report only the new ones', async () => {
    const first = clock.now();
    await store.subscribe('k-channel', CHANNEL, ['digest'], ALEX);
    clock.advance(60_000);
    expect(await store.subscribe('k-channel', CHANNEL, ['versions', 'digest'], MEGAN)).toEqual({
      topics: ['versions', 'digest'],
      added: ['versions'],
    });
    expect(await store.get('k-channel')).toMatchObject({ since: iso(first), by: { id: 'u-megan' } });
  });

  it('should leave the record alone when nothing is new', async () => {
    await store.subscribe('k-channel', CHANNEL, ['versions'], ALEX);
    const before = await eTagOf('k-channel');
    expect(before).toBeDefined();
    expect(await store.subscribe('k-channel', CHANNEL, ['versions'], MEGAN)).toEqual({
      topics: ['versions'],
      added: [],
    });
    const after = await store.get('k-channel');
    expect(await eTagOf('k-channel')).toBe(before);
    expect(after!.by.id).toBe('u-alex');
  });

  it('should subscribe to nothing new with an empty list, creating an empty record', async () => {
    expect(await store.subscribe('k-channel', CHANNEL, [], ALEX)).toEqual({ topics: [], added: [] });
  });

  it('should unsubscribe some topics and keep the rest', async () => {
    await store.subscribe('k-channel', CHANNEL, ALL, ALEX);
    expect(await store.unsubscribe('k-channel', ['digest', 'idle'])).toEqual({
      topics: ['versions', 'failures'],
      removed: ['idle', 'digest'],
    });
    expect((await store.get('k-channel'))!.topics).toEqual(['versions', 'failures']);
  });

  it('should keep an empty record after unsubscribing everything, and list it under no topic', async () => {
    await store.subscribe('k-channel', CHANNEL, ['versions'], ALEX);
    expect(await store.unsubscribe('k-channel', ALL)).toEqual({ topics: [], removed: ['versions'] });
    expect(await store.get('k-channel')).toMatchObject({ topics: [] });
    for (const t of ALL) expect(await store.forTopic(t)).toEqual([]);
  });

  it('should report nothing removed for topics not subscribed, or an unknown conversation', async () => {
    await store.subscribe('k-channel', CHANNEL, ['versions'], ALEX);
    const before = await eTagOf('k-channel');
    expect(before).toBeDefined();
    expect(await store.unsubscribe('k-channel', ['digest'])).toEqual({ topics: ['versions'], removed: [] });
    expect(await eTagOf('k-channel')).toBe(before);
    expect(await store.unsubscribe('k-nobody', ALL)).toEqual({ topics: [], removed: [] });
    expect(await store.get('k-nobody')).toBeUndefined();
  });

  it('should find the subscribers of a topic', async () => {
    await store.subscribe('k1', { id: 'c1', type: 'personal' }, ['versions', 'failures'], ALEX);
    await store.subscribe('k2', { id: 'c2', type: 'groupChat' }, ['failures'], ALEX);
    await store.subscribe('k3', CHANNEL, ['digest'], ALEX);
    expect((await store.forTopic('failures')).map((s) => s.conversationKey).sort()).toEqual(['k1', 'k2']);
    expect((await store.forTopic('versions')).map((s) => s.conversationKey)).toEqual(['k1']);
    expect(await store.forTopic('idle')).toEqual([]);
  });

  it('should drop a conversation and say what it had, once', async () => {
    await store.subscribe('k-channel', CHANNEL, ['versions', 'idle'], ALEX);
    expect(await store.drop('k-channel')).toMatchObject({ conversationKey: 'k-channel', topics: ['versions', 'idle'] });
    expect(await store.get('k-channel')).toBeUndefined();
    expect(await store.forTopic('versions')).toEqual([]);
    expect(await store.drop('k-channel')).toBeUndefined();
  });

  it('should subscribe again after a drop, as a new subscription', async () => {
    await store.subscribe('k-channel', CHANNEL, ['versions'], ALEX);
    await store.drop('k-channel');
    clock.advance(1000);
    expect(await store.subscribe('k-channel', CHANNEL, ['digest'], MEGAN)).toEqual({
      topics: ['digest'],
      added: ['digest'],
    });
    expect(await store.get('k-channel')).toMatchObject({ since: iso(clock.now()), topics: ['digest'] });
  });
});

describe.each<[string, () => Promise<Storage>]>([
  ['MemoryStorage', async () => new MemoryStorage()],
  [
    'FileStorage',
    async () => {
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'subscriptions-test-'));
      tmpDirs.push(dir);
      return new FileStorage(dir);
    },
  ],
])('concurrent subscribes (%s)', (_name, make) => {
  it('should keep the union when two callers subscribe different topics at once', async () => {
    const storage = await make();
    const clock = new FakeClock();
    const a = new SubscriptionStore(storage, clock);
    const b = new SubscriptionStore(storage, clock);
    const [ra, rb] = await Promise.all([
      a.subscribe('k-channel', CHANNEL, ['versions'], ALEX),
      b.subscribe('k-channel', CHANNEL, ['failures'], MEGAN),
    ]);
    expect(ra.added).toEqual(['versions']);
    expect(rb.added).toEqual(['failures']);
    expect((await a.get('k-channel'))!.topics).toEqual(['versions', 'failures']);
  });

  it('should keep every topic when four callers subscribe one each at once', async () => {
    const storage = await make();
    const clock = new FakeClock();
    const results = await Promise.all(
      ALL.map((t, i) =>
        new SubscriptionStore(storage, clock).subscribe('k-channel', CHANNEL, [t], i % 2 ? ALEX : MEGAN),
      ),
    );
    expect(results.map((r) => r.added)).toEqual(ALL.map((t) => [t]));
    expect((await new SubscriptionStore(storage, clock).get('k-channel'))!.topics).toEqual(ALL);
  });

  it('should not lose a subscribe that races an unsubscribe of another topic', async () => {
    const storage = await make();
    const clock = new FakeClock();
    const store = new SubscriptionStore(storage, clock);
    await store.subscribe('k-channel', CHANNEL, ['versions', 'digest'], ALEX);
    await Promise.all([
      store.unsubscribe('k-channel', ['digest']),
      new SubscriptionStore(storage, clock).subscribe('k-channel', CHANNEL, ['idle'], MEGAN),
    ]);
    expect((await store.get('k-channel'))!.topics).toEqual(['versions', 'idle']);
  });
});
