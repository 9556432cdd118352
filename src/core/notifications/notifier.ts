/**
 * Proactive notifications: reads the runtime service's event log with a durable cursor, runs the
 * scheduled checks, and queues each notification for the conversations subscribed to its topic.
 * The cursor is leased, so of several replicas one reads at a time; if it stops, another carries on
 * from the same place. Sending is the outbox worker's job.
 */
import { randomBytes } from 'node:crypto';
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { NotificationConfig } from '../../config';
import type { Logger } from '../../logger';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
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
  lease?: { owner: string; until: number };
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
}

const LEASE_MS = 30_000;
const SCAN_EVERY_MS = 30_000;

export class Notifier {
  private readonly state: Collection<Cursor>;
  private readonly owner = `notifier-${process.pid}-${randomBytes(3).toString('hex')}`;
  private lastScan = 0;

  constructor(private readonly o: NotifierOptions) {
    this.state = new Collection(o.storage, 'notifier');
  }

  /** Reads new service events and queues what they call for; returns how many were queued. */
  async pollEvents(): Promise<number> {
    if (!(await this.lease())) return 0;
    let queued = 0;
    try {
      const cursor = await this.state.get('cursor');
      if (!cursor?.after) {
        const { head } = await this.o.client.events('0', 0);
        await this.advance(head);
        return 0;
      }
      const page = await this.o.client.events(cursor.after, 100);
      for (const event of page.value) {
        for (const produced of await fromEvent(event, this.o.client)) queued += await this.queue(produced);
        await this.advance(event.id);
      }
      if (page.next !== cursor.after) await this.advance(page.next);
    } finally {
      await this.state.update('cursor', (c) =>
        c?.lease?.owner === this.owner ? { ...(c.after ? { after: c.after } : {}) } : UNCHANGED,
      );
    }
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

  private async lease(): Promise<boolean> {
    let mine = false;
    await this.state.update('cursor', (c) => {
      mine = false; // recomputed on every attempt: a retry may find another owner's lease
      const now = this.o.clock.now();
      if (c?.lease && c.lease.until > now && c.lease.owner !== this.owner) return UNCHANGED;
      mine = true;
      return { ...(c ?? {}), lease: { owner: this.owner, until: now + LEASE_MS } };
    });
    return mine;
  }

  private async advance(after: string): Promise<void> {
    await this.state.update('cursor', (c) =>
      c?.lease?.owner === this.owner
        ? { ...c, after, lease: { owner: this.owner, until: this.o.clock.now() + LEASE_MS } }
        : UNCHANGED,
    );
  }
}
