/**
 * The retirement notices against a real runtime service (in process, FakeClock): due 90, 30, 7 and 1
 * days before the date, queued for every subscribed conversation whatever its topics, once, also
 * with two replicas producing at the same moment and after the outbox has pruned the sent notice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../../src/client/runtimeClient';
import { type NotificationConfig, RETIREMENT_DEFAULTS } from '../../../src/config';
import { Outbox } from '../../../src/core/notifications/outbox';
import { OutboxWorker } from '../../../src/core/notifications/outboxWorker';
import { RateLimiter } from '../../../src/core/notifications/rateLimiter';
import { queueRetirementNotice, retirementNoticeId } from '../../../src/core/notifications/retirementNotices';
import { SubscriptionStore } from '../../../src/core/notifications/subscriptions';
import type { Topic } from '../../../src/core/notifications/topics';
import type { Reply } from '../../../src/core/replies';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { startTestService, type TestService } from '../../helpers/service';
import { memoryLogger, ScriptedSender } from './fakes';

const CONFIG: NotificationConfig = {
  idleWarningMinutes: 15,
  globalSendsPerSecond: 30,
  retirement: RETIREMENT_DEFAULTS,
};
const at = (iso: string) => Date.parse(iso);

let s: TestService;
let storage: MemoryStorage;
let outbox: Outbox;
let subscriptions: SubscriptionStore;

function produce(config: NotificationConfig = CONFIG, onStorage = storage) {
  return queueRetirementNotice({
    storage: onStorage,
    client: new RuntimeClient({ baseUrl: s.url }),
    outbox: new Outbox(onStorage, s.clock),
    subscriptions: new SubscriptionStore(onStorage, s.clock),
    clock: s.clock,
    log: memoryLogger().log,
    config,
  });
}

async function subscribe(key: string, topics: Topic[]) {
  await subscriptions.subscribe(key, { id: `conv-${key}`, type: 'channel', key }, topics, { id: 'u-alex' });
}

const queuedIds = async () => (await outbox.items.ids()).sort();

beforeEach(async () => {
  s = await startTestService({ demoData: true });
  storage = new MemoryStorage();
  outbox = new Outbox(storage, s.clock);
  subscriptions = new SubscriptionStore(storage, s.clock);
  await subscribe('versions-only', ['versions']);
  await subscribe('digest-only', ['digest']);
  await subscribe('everything', ['versions', 'failures', 'idle', 'digest']);
  await subscribe('left', ['idle']);
  await subscriptions.unsubscribe('left', ['idle']); // an empty record stays: it gets nothing
});

afterEach(async () => {
  await s.close();
  expect(s.uncaught).toEqual([]);
});

describe('queueRetirementNotice', () => {
  it('should do nothing, and write nothing, between thresholds', async () => {
    s.clock.set(at('2026-12-03T12:00:00Z')); // 138 days left
    const writesBefore = JSON.stringify(await storage.list(''));
    expect(await produce()).toBe(0);
    expect(JSON.stringify(await storage.list(''))).toBe(writesBefore);
  });

  it('should queue the 90-day notice for every subscribed conversation, whatever its topics', async () => {
    s.clock.set(at('2027-01-20T06:00:00Z'));
    expect(await produce()).toBe(3);
    const id = retirementNoticeId('2027-04-20', 90);
    expect(id).toBe('retirement-2027-04-20-90d');
    expect(await queuedIds()).toEqual([`${id}~digest-only`, `${id}~everything`, `${id}~versions-only`]);
    const notice = await outbox.notifications.get(id);
    expect(notice?.topic).toBe('retirement');
    expect(notice?.reply).toEqual({
      kind: 'retirementNotice',
      retirement: { ...RETIREMENT_DEFAULTS, phase: 'frozen', daysLeft: 90, runtimes: 5 },
    } satisfies Reply);
  });

  it('should queue it once: again on the same day, and after the outbox pruned the sent notice', async () => {
    s.clock.set(at('2027-01-20T06:00:00Z'));
    expect(await produce()).toBe(3);
    expect(await produce()).toBe(0);
    // Sent, then pruned three days later: the notice record and its sent marks are gone.
    const sender = new ScriptedSender(s.clock);
    const worker = new OutboxWorker({
      outbox,
      limiter: new RateLimiter(storage, s.clock),
      sender,
      clock: s.clock,
      log: memoryLogger().log,
      globalPerSecond: 30,
      onGone: async () => undefined,
    });
    await worker.tick();
    expect(sender.calls).toHaveLength(3);
    s.clock.advance(4 * 86_400_000); // 86 days left: the 90-day notice is still the due one
    expect(await outbox.prune()).toBe(1);
    expect(await outbox.exists(retirementNoticeId('2027-04-20', 90))).toBe(false);
    expect(await produce()).toBe(0);
    await worker.tick();
    expect(sender.calls).toHaveLength(3);
  });

  it('should queue each threshold once as the date comes closer', async () => {
    const seen: string[] = [];
    for (const day of ['2027-01-20', '2027-02-01', '2027-03-21', '2027-04-01', '2027-04-13', '2027-04-19']) {
      s.clock.set(at(`${day}T09:00:00Z`));
      if (await produce()) seen.push(day);
    }
    expect(seen).toEqual(['2027-01-20', '2027-03-21', '2027-04-13', '2027-04-19']);
    expect((await outbox.notifications.ids()).sort()).toEqual(
      [90, 30, 7, 1].map((d) => retirementNoticeId('2027-04-20', d)).sort(),
    );
  });

  it('should send only the latest notice after a late start, and none from the retirement day on', async () => {
    s.clock.set(at('2027-04-01T09:00:00Z')); // 19 days left: the 30-day notice, not the 90-day one
    expect(await produce()).toBe(3);
    expect(await outbox.notifications.ids()).toEqual([retirementNoticeId('2027-04-20', 30)]);
    s.clock.set(at('2027-04-20T00:00:00Z'));
    expect(await produce()).toBe(0);
    expect(await outbox.notifications.ids()).toHaveLength(1);
  });

  it('should queue one item per conversation when two replicas produce at the same moment', async () => {
    s.clock.set(at('2027-04-13T09:00:00Z'));
    const [a, b] = await Promise.all([produce(), produce()]);
    expect(a + b).toBe(3);
    const id = retirementNoticeId('2027-04-20', 7);
    expect(await queuedIds()).toEqual([`${id}~digest-only`, `${id}~everything`, `${id}~versions-only`]);
    expect(await produce()).toBe(0);
  });

  it('should count down again to a date Microsoft moved', async () => {
    s.clock.set(at('2027-01-20T06:00:00Z'));
    expect(await produce()).toBe(3);
    const moved = { ...CONFIG, retirement: { ...RETIREMENT_DEFAULTS, retiresOn: '2027-10-20' } };
    s.clock.set(at('2027-07-22T06:00:00Z')); // 90 days before the new date
    expect(await produce(moved)).toBe(3);
    expect((await outbox.notifications.ids()).sort()).toEqual([
      'retirement-2027-04-20-90d',
      'retirement-2027-10-20-90d',
    ]);
  });

  it('should send nothing without a calendar', async () => {
    s.clock.set(at('2027-01-20T06:00:00Z'));
    expect(await produce({ idleWarningMinutes: 15, globalSendsPerSecond: 30 })).toBe(0);
    expect(await outbox.notifications.ids()).toEqual([]);
  });
});
