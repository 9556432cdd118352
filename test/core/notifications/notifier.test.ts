/**
 * The Notifier against a real runtime service (in-process, FakeClock): the event cursor starts at
 * the log's head, a leased cursor lets one replica read at a time and another take over when it
 * hangs, each event is queued once, the scheduled checks (idle warnings, the daily digest) queue
 * once per period, and a conversation the bot lost is dropped with an audit entry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../../src/client/runtimeClient';
import type { NotificationConfig } from '../../../src/config';
import { AuditLog, SYSTEM_ACTOR } from '../../../src/core/audit/auditLog';
import { Notifications } from '../../../src/core/notifications';
import { Notifier } from '../../../src/core/notifications/notifier';
import { Outbox } from '../../../src/core/notifications/outbox';
import { SubscriptionStore } from '../../../src/core/notifications/subscriptions';
import type { Topic } from '../../../src/core/notifications/topics';
import type { Reply } from '../../../src/core/replies';
import type { ServiceEvent, VersionsReport } from '../../../src/domain/runtime';
import { Collection } from '../../../src/storage/collection';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import {
  ACTORS,
  advance,
  automatic,
  createRunning,
  startTestService,
  type TestService,
  TIMINGS,
} from '../../helpers/service';
import { CountingStorage } from '../../helpers/countingStorage';
import { memoryLogger, ScriptedSender } from './fakes';

const MIN = 60_000;
const CONFIG: NotificationConfig = { digestTime: '08:00', idleWarningMinutes: 15, globalSendsPerSecond: 30 };

/**
 * A client whose version reads (what a version notice needs, after the notifier took its lease)
 * can be held at a gate, to play a replica that hangs in the middle of a page.
 */
class GatedClient extends RuntimeClient {
  private gate?: Promise<void>;
  private open?: () => void;
  entered?: Promise<void>;
  private enteredResolve?: () => void;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
    this.entered = new Promise((resolve) => (this.enteredResolve = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async versions(): Promise<VersionsReport> {
    if (this.gate) {
      this.enteredResolve?.();
      await this.gate;
    }
    return super.versions();
  }
}

let s: TestService;
let storage: MemoryStorage;
let outbox: Outbox;
let subscriptions: SubscriptionStore;
let audit: AuditLog;
let logLines: string[];

function notifier(
  options: {
    client?: RuntimeClient;
    config?: NotificationConfig;
    onEvents?: (events: ServiceEvent[]) => Promise<unknown>;
    awaited?: () => boolean;
  } = {},
): Notifier {
  const { log, lines } = memoryLogger();
  logLines = lines;
  return new Notifier({
    storage,
    client: options.client ?? new RuntimeClient({ baseUrl: s.url }),
    outbox,
    subscriptions,
    audit,
    clock: s.clock,
    log,
    config: options.config ?? CONFIG,
    ...(options.onEvents ? { onEvents: options.onEvents } : {}),
    ...(options.awaited ? { awaited: options.awaited } : {}),
  });
}

async function subscribe(key: string, topics: Topic[], type: 'personal' | 'groupChat' | 'channel' = 'channel') {
  await subscriptions.subscribe(key, { id: `conv-${key}`, type, key }, topics, { id: 'u-alex', name: 'Alex Wilber' });
}

let versionDay = 0;
/** Publishes a new latest base-image version, as an admin would. */
async function publish(): Promise<string> {
  const tag = `2099${String(Math.floor(versionDay / 28) + 1).padStart(2, '0')}${String((versionDay % 28) + 1).padStart(2, '0')}.v1`;
  versionDay++;
  const res = await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag } });
  expect(res.status).toBe(201);
  await s.app.events.settled();
  return tag;
}

const cursor = () => new Collection<{ after?: string }>(storage, 'notifier').get('cursor');
const lease = () => new Collection<{ owner: string; until: number }>(storage, 'notifier').get('lease');
const itemsOf = async (prefix: string) => (await outbox.items.ids()).filter((id) => id.startsWith(prefix));

beforeEach(async () => {
  s = await startTestService();
  storage = new MemoryStorage();
  outbox = new Outbox(storage, s.clock);
  subscriptions = new SubscriptionStore(storage, s.clock);
  audit = new AuditLog(storage, s.clock);
});

afterEach(async () => {
  await s.close();
  expect(s.uncaught).toEqual([]);
});

describe('Notifier.pollEvents', () => {
  it('should start at the head of the event log: events from before are ignored', async () => {
    await subscribe('k1', ['versions']);
    await publish();
    await publish();
    const n = notifier();
    expect(await n.pollEvents()).toBe(0);
    expect(await outbox.notifications.ids()).toEqual([]);
    const head = (await s.request('GET', '/v1/events?after=0&limit=0')).json.head;
    expect((await cursor())?.after).toBe(head);

    const tag = await publish();
    expect(await n.pollEvents()).toBe(1);
    expect(await outbox.notifications.ids()).toEqual([`version-${tag}`]);
    expect(await outbox.items.ids()).toEqual([`version-${tag}~k1`]);
    const reply = (await outbox.notifications.get(`version-${tag}`))!.reply as Extract<Reply, { kind: 'versions' }>;
    expect(reply.notice?.tag).toBe(tag);
    expect(await n.pollEvents()).toBe(0);
    expect(await outbox.items.ids()).toHaveLength(1);
  });

  it('should hand each page to onEvents on the lease holder only, and read a page again until it is handled', async () => {
    const seenA: string[][] = [];
    const seenB: string[][] = [];
    let failing = true;
    const a = notifier({
      onEvents: async (events) => {
        if (failing) throw new Error('the tracker could not read storage');
        seenA.push(events.map((e) => e.type));
      },
    });
    const b = notifier({ onEvents: async (events) => seenB.push(events.map((e) => e.type)) });
    await a.pollEvents(); // the cursor starts at the head
    const before = (await cursor())?.after;
    await publish();
    await expect(a.pollEvents()).rejects.toThrow('the tracker could not read storage');
    expect((await cursor())?.after).toBe(before);
    expect(await b.pollEvents()).toBe(0); // a holds the lease: b hands nothing on
    failing = false;
    await a.pollEvents();
    expect(seenA).toEqual([['image.released']]);
    expect(seenB).toEqual([]);
    expect((await cursor())?.after).not.toBe(before);
  });

  it('should hand events over without the lease too while a card here follows an operation, each once', async () => {
    const seenB: string[][] = [];
    let following = false;
    const a = notifier();
    const b = notifier({ onEvents: async (events) => seenB.push(events.map((e) => e.type)), awaited: () => following });
    await a.pollEvents(); // the cursor starts at the head
    await publish();
    await a.pollEvents(); // a takes the lease with this page
    await publish();
    expect(await b.pollEvents()).toBe(0);
    expect(seenB).toEqual([]); // b follows nothing: the lease holder's business
    following = true;
    expect(await b.pollEvents()).toBe(0); // queues nothing (a does), but hands the events to its tracker
    expect(seenB).toEqual([['image.released']]);
    await b.pollEvents(); // the same page again, a has not moved the cursor: nothing new to hand over
    expect(seenB).toEqual([['image.released']]);
  });

  it('should start at the head of an empty log', async () => {
    await subscribe('k1', ['versions']);
    const n = notifier();
    expect(await n.pollEvents()).toBe(0);
    const tag = await publish();
    expect(await n.pollEvents()).toBe(1);
    expect(await itemsOf(`version-${tag}`)).toHaveLength(1);
  });

  it('should queue each event once when two notifiers poll at the same time', async () => {
    await subscribe('k1', ['versions']);
    await subscribe('k2', ['versions', 'failures'], 'personal');
    const a = notifier();
    const b = notifier();
    await Promise.all([a.pollEvents(), b.pollEvents()]);
    const tags: string[] = [];
    for (let round = 0; round < 4; round++) {
      tags.push(await publish());
      tags.push(await publish());
      const [qa, qb] = await Promise.all([a.pollEvents(), b.pollEvents()]);
      expect(qa + qb).toBe(4);
    }
    await Promise.all([a.pollEvents(), b.pollEvents()]);
    expect((await outbox.notifications.ids()).sort()).toEqual(tags.map((t) => `version-${t}`).sort());
    expect(await outbox.items.ids()).toHaveLength(2 * tags.length);
  });

  it('should leave the cursor to the replica that holds the lease, and take over once it expires', async () => {
    await subscribe('k1', ['versions']);
    const gated = new GatedClient({ baseUrl: s.url });
    const a = notifier({ client: gated });
    const b = notifier();
    expect(await a.pollEvents()).toBe(0); // the cursor is at the head
    const start = (await cursor())!.after;
    const tag = await publish();

    gated.hold();
    const hung = a.pollEvents();
    await gated.entered; // A read the page, took the lease, and hangs on the notice
    expect((await lease())?.owner).toMatch(/^notifier-/);

    // While A holds the lease, B reads nothing and moves nothing.
    expect(await b.pollEvents()).toBe(0);
    s.clock.advance(29_000);
    expect(await b.pollEvents()).toBe(0);
    expect((await cursor())!.after).toBe(start);
    expect(await outbox.notifications.ids()).toEqual([]);

    // A's lease (30 s) runs out: B carries on from the same event.
    s.clock.advance(1_001);
    expect(await b.pollEvents()).toBe(1);
    expect(await outbox.items.ids()).toEqual([`version-${tag}~k1`]);
    const moved = (await cursor())!.after;
    expect(moved).not.toBe(start);

    // A wakes up: it finds the event queued already and leaves B's cursor alone.
    gated.release();
    expect(await hung).toBe(0);
    expect(await outbox.items.ids()).toEqual([`version-${tag}~k1`]);
    expect((await cursor())!.after).toBe(moved);
  });

  it('should write nothing while nothing happens: no lease, no cursor', async () => {
    await subscribe('k1', ['versions']);
    const counting = new CountingStorage(storage);
    const n = new Notifier({
      storage: counting,
      client: new RuntimeClient({ baseUrl: s.url }),
      outbox,
      subscriptions,
      audit,
      clock: s.clock,
      log: memoryLogger().log,
      config: CONFIG,
    });
    expect(await n.pollEvents()).toBe(0); // the first read sets the cursor at the head
    counting.reset();
    for (let i = 0; i < 20; i++) {
      s.clock.advance(1000);
      expect(await n.pollEvents()).toBe(0);
    }
    expect(counting.writes()).toBe(0);
    expect(counting.count('read', 'notifier/')).toBe(20); // one cursor read per poll, nothing else
  });

  it('should move the cursor once per page of events, not once per event', async () => {
    await subscribe('k1', ['versions']);
    const counting = new CountingStorage(storage);
    const n = new Notifier({
      storage: counting,
      client: new RuntimeClient({ baseUrl: s.url }),
      outbox,
      subscriptions,
      audit,
      clock: s.clock,
      log: memoryLogger().log,
      config: CONFIG,
    });
    await n.pollEvents();
    s.clock.advance(60_000); // the lease taken to set the cursor has run out
    const tags = [await publish(), await publish(), await publish(), await publish()];
    counting.reset();
    expect(await n.pollEvents()).toBe(4);
    expect(counting.count('write', 'notifier/cursor')).toBe(1);
    expect(counting.count('write', 'notifier/lease')).toBe(1);
    expect((await outbox.notifications.ids()).sort()).toEqual(tags.map((t) => `version-${t}`).sort());
    // Holding the lease, the next page costs one cursor write and no lease write.
    await publish();
    counting.reset();
    expect(await n.pollEvents()).toBe(1);
    expect(counting.writes('notifier/')).toBe(1);
  });

  it('should follow an event log that restarted behind its cursor', async () => {
    await subscribe('k1', ['versions']);
    const n = notifier();
    await n.pollEvents();
    // The service's storage was wiped: its log starts again from 1, far behind this cursor.
    await new Collection<{ after?: string }>(storage, 'notifier').put('cursor', { after: '000000050000' });
    expect(await n.pollEvents()).toBe(0);
    const head = (await s.request('GET', '/v1/events?after=0&limit=0')).json.head;
    expect((await cursor())?.after).toBe(head);
    const tag = await publish();
    expect(await n.pollEvents()).toBe(1);
    expect(await outbox.notifications.ids()).toEqual([`version-${tag}`]);
    expect(logLines.join('\n')).toContain('the event log restarted behind the notifier cursor');
  });

  it('should queue a failed operation for failures subscribers only, once', async () => {
    await subscribe('k-fail', ['failures']);
    await subscribe('k-versions', ['versions']);
    const n = notifier();
    await createRunning(s, 'rt-fail');
    await n.pollEvents();
    const res = await s.request('POST', '/v1/runtimes/rt-fail/install', {
      actor: ACTORS.alex,
      body: { requirements: 'numpy==0.0.1' },
    });
    expect(res.status).toBe(202);
    await advance(s, TIMINGS.installMs);
    expect((await s.request('GET', `/v1/operations/${res.json.id}`)).json.status).toBe('Failed');
    expect(await n.pollEvents()).toBe(1);
    expect(await outbox.items.ids()).toEqual([`failure-${res.json.id}~k-fail`]);
    const reply = (await outbox.notifications.get(`failure-${res.json.id}`))!.reply;
    expect(reply).toMatchObject({
      kind: 'alert',
      alert: { kind: 'failure', runtime: 'rt-fail', operationKind: 'install', by: 'Alex Wilber' },
    });
    expect((reply as Extract<Reply, { kind: 'alert' }>).alert.reason).toContain('numpy');
    expect(await n.pollEvents()).toBe(0);
  });

  it('should announce an idle shutdown by the service', async () => {
    await subscribe('k-idle', ['idle']);
    const n = notifier();
    await createRunning(s, 'rt-sleepy', automatic({ idleTimeMinutes: 15 }));
    await n.pollEvents();
    s.clock.advance(15 * MIN);
    await s.app.engine.sweep();
    await advance(s, 0);
    await advance(s, TIMINGS.stopMs);
    await advance(s, TIMINGS.stopMs);
    expect((await s.request('GET', '/v1/runtimes/rt-sleepy')).status).toBe(404);
    expect(await n.pollEvents()).toBe(1);
    const [id] = await outbox.notifications.ids();
    expect(id).toMatch(/^idle-stopped-/);
    expect((await outbox.notifications.get(id))!.reply).toMatchObject({
      kind: 'alert',
      alert: { kind: 'idleStopped', runtime: 'rt-sleepy' },
    });
  });
});

describe('Notifier.scan', () => {
  it('should warn about an idle shutdown once per idle period, only to idle subscribers', async () => {
    await subscribe('k-idle', ['idle']);
    await subscribe('k-other', ['versions', 'failures', 'digest']);
    const a = notifier({ config: { ...CONFIG, digestTime: undefined } });
    const b = notifier({ config: { ...CONFIG, digestTime: undefined } });
    await createRunning(s, 'rt-idle', automatic({ idleTimeMinutes: 30 }));
    const shutdown = Date.parse((await s.request('GET', '/v1/runtimes/rt-idle')).json.idleShutdownAt);
    expect(shutdown).toBe(s.clock.now() + 30 * MIN);

    expect(await a.scan(true)).toBe(0);
    await advance(s, 15 * MIN - 1);
    expect(await a.scan(true)).toBe(0);
    await advance(s, 1);
    expect(await a.scan(true)).toBe(1);
    expect(await outbox.items.ids()).toEqual([`idle-warning-rt-idle-${shutdown}~k-idle`]);
    expect(await a.scan(true)).toBe(0);
    await advance(s, 10 * MIN);
    const [qa, qb] = await Promise.all([a.scan(true), b.scan(true)]);
    expect(qa + qb).toBe(0);
    expect(await outbox.items.ids()).toHaveLength(1);

    // A reset starts a new idle period: one more warning, before its own shutdown.
    expect((await s.request('POST', '/v1/runtimes/rt-idle/reset', { actor: ACTORS.alex })).status).toBe(202);
    await advance(s, TIMINGS.resetMs);
    await advance(s, TIMINGS.startMs);
    const next = Date.parse((await s.request('GET', '/v1/runtimes/rt-idle')).json.idleShutdownAt);
    expect(next).toBeGreaterThan(shutdown);
    expect(await a.scan(true)).toBe(0);
    await advance(s, 16 * MIN);
    const [ra, rb] = await Promise.all([a.scan(true), b.scan(true)]);
    expect(ra + rb).toBe(1);
    expect((await outbox.items.ids()).sort()).toEqual(
      [`idle-warning-rt-idle-${shutdown}~k-idle`, `idle-warning-rt-idle-${next}~k-idle`].sort(),
    );
  });

  it('should not look at runtimes for idle warnings without idle subscribers', async () => {
    await subscribe('k-other', ['versions']);
    await createRunning(s, 'rt-idle', automatic({ idleTimeMinutes: 15 }));
    await advance(s, 5 * MIN);
    expect(await notifier({ config: { ...CONFIG, digestTime: undefined } }).scan(true)).toBe(0);
    expect(await outbox.notifications.ids()).toEqual([]);
  });

  it('should not scan again within 30 s unless forced', async () => {
    await subscribe('k-idle', ['idle']);
    const n = notifier({ config: { ...CONFIG, digestTime: undefined } });
    expect(await n.scan()).toBe(0);
    await createRunning(s, 'rt-idle', automatic({ idleTimeMinutes: 15 }));
    expect(await n.scan()).toBe(0); // 6 s later: skipped
    s.clock.advance(30 * 1000);
    expect(await n.scan()).toBe(1);
  });

  it('should queue the digest once a day at its time, for digest subscribers only', async () => {
    await subscribe('k-digest', ['digest']);
    await subscribe('k-all', ['versions', 'failures', 'idle', 'digest'], 'personal');
    await subscribe('k-failures', ['failures']);
    await createRunning(s, 'rt-a');
    const a = notifier();
    const b = notifier();

    s.clock.set(Date.parse('2026-01-01T07:59:59Z'));
    expect(await a.scan(true)).toBe(0);
    s.clock.set(Date.parse('2026-01-01T08:00:00Z'));
    const [qa, qb] = await Promise.all([a.scan(true), b.scan(true)]);
    expect(qa + qb).toBe(2);
    expect((await itemsOf('digest-')).sort()).toEqual(['digest-2026-01-01~k-all', 'digest-2026-01-01~k-digest']);
    const reply = (await outbox.notifications.get('digest-2026-01-01'))!.reply;
    expect(reply).toMatchObject({ kind: 'summary', title: 'Daily on-call digest', summary: { total: 1 } });

    for (const at of ['2026-01-01T08:00:30Z', '2026-01-01T12:00:00Z', '2026-01-01T23:59:00Z', '2026-01-02T07:59:00Z']) {
      s.clock.set(Date.parse(at));
      expect(await a.scan(true), at).toBe(0);
    }
    s.clock.set(Date.parse('2026-01-02T08:01:00Z'));
    expect(await b.scan(true)).toBe(2);
    expect((await outbox.notifications.ids()).filter((id) => id.startsWith('digest-'))).toEqual([
      'digest-2026-01-01',
      'digest-2026-01-02',
    ]);
  });

  it('should send no digest when it is off', async () => {
    await subscribe('k-digest', ['digest']);
    s.clock.set(Date.parse('2026-01-01T08:00:00Z'));
    expect(await notifier({ config: { ...CONFIG, digestTime: undefined } }).scan(true)).toBe(0);
    expect(await outbox.notifications.ids()).toEqual([]);
  });
});

describe('Notifier.dropConversation', () => {
  it('should remove the subscription and record an unsubscribe by the system in the audit', async () => {
    await subscribe('k1', ['versions', 'failures']);
    await subscribe('k2', ['versions']);
    const n = notifier();
    await n.dropConversation('k1', '403 BotNotInConversationRoster');
    expect(await subscriptions.get('k1')).toBeUndefined();
    expect(await subscriptions.get('k2')).toBeDefined();
    const entries = await audit.recent();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'unsubscribe',
      actor: { ...SYSTEM_ACTOR },
      conversation: { id: 'conv-k1', type: 'channel' },
      details: {
        topics: ['versions', 'failures'],
        reason: 'The bot can no longer post there (403 BotNotInConversationRoster).',
      },
    });
    expect(logLines.join('\n')).toContain('subscription dropped');
  });

  it('should do nothing for a conversation that is not subscribed, or dropped already', async () => {
    await subscribe('k1', ['versions']);
    const n = notifier();
    await n.dropConversation('k1', '404');
    await n.dropConversation('k1', '404');
    await n.dropConversation('k-nobody', '404');
    expect(await audit.recent()).toHaveLength(1);
  });

  it('should be what the outbox calls when a send is refused with 403 (through Notifications)', async () => {
    const { log } = memoryLogger();
    const sender = new ScriptedSender(s.clock).script('k-gone', {
      ok: false,
      status: 403,
      code: 'BotNotInConversationRoster',
    });
    const notifications = new Notifications({
      storage,
      client: new RuntimeClient({ baseUrl: s.url }),
      audit,
      clock: s.clock,
      log,
      config: CONFIG,
      sender,
    });
    await notifications.subscriptions.subscribe('k-gone', { id: 'c-gone', type: 'channel' }, ['versions'], { id: 'u' });
    await notifications.subscriptions.subscribe('k-here', { id: 'c-here', type: 'groupChat' }, ['versions'], {
      id: 'u',
    });
    await notifications.runOnce();
    const tag = await publish();
    expect(await notifications.runOnce()).toMatchObject({ queued: 2, sent: 1, dropped: 1 });
    expect(sender.to('k-here')).toHaveLength(1);
    expect((sender.to('k-here')[0].reply as Extract<Reply, { kind: 'versions' }>).notice?.tag).toBe(tag);
    expect(await notifications.subscriptions.get('k-gone')).toBeUndefined();
    expect(await audit.recent()).toMatchObject([
      {
        action: 'unsubscribe',
        conversation: { id: 'c-gone', type: 'channel' },
        details: { reason: 'The bot can no longer post there (403 BotNotInConversationRoster).' },
      },
    ]);
    // The next version reaches only the conversation that is left.
    await publish();
    expect(await notifications.runOnce()).toMatchObject({ queued: 1, sent: 1, dropped: 0 });
    expect(sender.to('k-gone')).toHaveLength(1);
  });
});
