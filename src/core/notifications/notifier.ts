/**
 * Proactive notifications: reads the runtime service's event log with a durable cursor, runs the
 * scheduled checks, and queues each notification for the conversations subscribed to its topic.
 * Sending is the outbox worker's job.
 *
 * Any replica may read the log; only the holder of a lease queues and moves the cursor, so of
 * several replicas one works at a time and another carries on from the same place if it stops.
 * A replica whose cards follow an operation hands the events it reads to its tracker itself,
 * so that its cards do not wait for the lease holder's next look.
 * Nothing is written while nothing happens: the lease is taken only when a page has events, and
 * the cursor moves once per page (eTag-guarded). A page replayed after a crash queues nothing
 * twice, because notifications are created only if absent.
 */
import { randomBytes } from 'node:crypto';
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { NotificationConfig } from '../../config';
import type { ServiceEvent } from '../../domain/runtime';
import type { Logger } from '../../logger';
import { Collection } from '../../storage/collection';
import { Lease } from '../../storage/lease';
import { isEtagConflict, type Storage } from '../../storage/storage';
import type { AuditLog } from '../audit/auditLog';
import { SYSTEM_ACTOR } from '../audit/auditLog';
import type { Outbox } from './outbox';
import { dailyDigest, fromEvent, idleWarnings, type Produced } from './producers';
import { queueRetirementNotice } from './retirementNotices';
import type { SubscriptionStore } from './subscriptions';
import { traceNotificationQueue } from '../../telemetry/delivery';

interface Cursor {
  /** The last event handled; absent until the first read, which starts at the log's head. */
  after?: string;
}

export interface NotifierOptions {
  storage: Storage;
  client: RuntimeClient;
  outbox: Outbox;
  subscriptions: SubscriptionStore;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  config: NotificationConfig;
  /**
   * Handed the events the lease holder reads, once each (the tracker follows operations with them);
   * also on a replica without the lease while `awaited` says a message there follows an operation.
   */
  onEvents?: (events: ServiceEvent[]) => Promise<unknown>;
  awaited?: () => boolean;
}

const LEASE_MS = 30_000;
const SCAN_EVERY_MS = 30_000;
const PAGE = 100;

export class Notifier {
  private readonly state: Collection<Cursor>;
  private readonly lease: Lease;
  private lastScan = 0;
  /** Events in the last page read (by any replica's lease or not): the log is busy while this is above 0. */
  lastPageSize = 0;
  /** The newest event handed to `onEvents` by this process. */
  private handedUpTo = 0;

  constructor(private readonly o: NotifierOptions) {
    this.state = new Collection(o.storage, 'notifier');
    const owner = `notifier-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.lease = new Lease(o.storage, 'notifier/lease', owner, o.clock, LEASE_MS);
  }

  /** Reads new service events and queues what they call for; returns how many were queued. */
  async pollEvents(): Promise<number> {
    const cursor = await this.state.get('cursor');
    if (!cursor?.after) {
      // The first read starts at the head; creating the cursor is create-only, no lease needed.
      const { head } = await this.o.client.events('0', 0);
      await this.move(cursor, head);
      return 0;
    }
    const page = await this.o.client.events(cursor.after, PAGE);
    this.lastPageSize = page.value.length;
    if (page.value.length === 0) {
      // A log that restarted (its storage was reset) is behind this cursor: follow it from its head.
      if (Number(page.head) < Number(cursor.after) && (await this.lease.hold())) {
        this.o.log.warn('the event log restarted behind the notifier cursor; following it from its head', {
          cursor: cursor.after,
          head: page.head,
        });
        await this.move(cursor, page.head);
      }
      return 0;
    }
    if (!(await this.lease.hold())) {
      // Another replica queues; a card this one follows need not wait for that one's next look.
      if (this.o.awaited?.()) await this.handOver(page.value);
      return 0;
    }
    let queued = 0;
    for (const event of page.value) {
      for (const produced of await fromEvent(event, this.o.client)) queued += await this.queue(produced);
    }
    await this.handOver(page.value);
    await this.move(cursor, page.next);
    return queued;
  }

  /** The scheduled checks: idle warnings and the daily digest. Cheap to call often. */
  async scan(force = false): Promise<number> {
    const now = this.o.clock.now();
    if (!force && now - this.lastScan < SCAN_EVERY_MS) return 0;
    this.lastScan = now;
    let queued = 0;
    let runtimes: Awaited<ReturnType<RuntimeClient['allRuntimes']>> | undefined;
    const all = async () => (runtimes ??= await this.o.client.allRuntimes());
    if ((await this.o.subscriptions.forTopic('idle')).length > 0) {
      const windowMs = this.o.config.idleWarningMinutes * 60_000;
      for (const p of idleWarnings(await all(), now, windowMs)) {
        if (!(await this.o.outbox.exists(p.id))) queued += await this.queue(p);
      }
    }
    const digest = dailyDigest(() => this.o.client.summary(), now, this.o.config.digestTime, this.o.config.retirement);
    if (digest && !(await this.o.outbox.exists(digest.id))) queued += await this.queue(await digest.produce());
    queued += await queueRetirementNotice(this.o);
    return queued;
  }

  /** Queues a notification for every conversation subscribed to its topic. */
  async queue(p: Produced): Promise<number> {
    return traceNotificationQueue(p, async () => {
      const keys = (await this.o.subscriptions.forTopic(p.topic)).map((s) => s.conversationKey);
      const queued = await this.o.outbox.enqueue(p.id, p.topic, p.reply, keys);
      if (queued) this.o.log.info('notification queued', { notification: p.id, topic: p.topic, conversations: queued });
      return queued;
    });
  }

  /** The bot was removed from a conversation or blocked there: stop sending, and say so in the audit. */
  async dropConversation(conversationKey: string, reason: string): Promise<void> {
    const dropped = await this.o.subscriptions.drop(conversationKey);
    if (!dropped) return;
    this.o.log.warn('subscription dropped', { conversationKey, reason });
    await this.o.audit.append({
      action: 'unsubscribe',
      actor: SYSTEM_ACTOR,
      conversation: { id: dropped.conversation.id, type: dropped.conversation.type },
      details: { topics: dropped.topics, reason: `The bot can no longer post there (${reason}).` },
    });
  }

  /** Hands the events this process has not handed yet to `onEvents`. */
  private async handOver(events: readonly ServiceEvent[]): Promise<void> {
    const fresh = events.filter((e) => Number(e.id) > this.handedUpTo);
    if (fresh.length === 0 || !this.o.onEvents) return;
    await this.o.onEvents(fresh); // a failure hands the page over again on the next look
    this.handedUpTo = Number(fresh[fresh.length - 1].id);
  }

  /** Moves the cursor from where it was read; a holder that lost the lease unseen changes nothing. */
  private async move(from: (Cursor & { eTag: string }) | undefined, after: string): Promise<void> {
    try {
      if (from) await this.state.replace('cursor', { after }, from.eTag);
      else await this.state.create('cursor', { after });
    } catch (error) {
      if (!isEtagConflict(error)) throw error;
      this.lease.forget();
      this.o.log.info('another replica moved the notifier cursor; leaving it to that one');
    }
  }
}
