/**
 * The durable send queue of notifications. A notification (one card) is stored once; each
 * conversation it goes to is a queue item. Items are created only if absent and are marked sent
 * before they are deleted, so producing the same notification twice (two replicas, a replay after
 * a crash) never posts it twice. Everything lives in storage: the queue survives a restart.
 */
import type { Clock } from '../../clock';
import { Collection, UNCHANGED } from '../../storage/collection';
import { isEtagConflict, type Storage } from '../../storage/storage';
import type { Reply } from '../replies';
import { traceparentField } from '../../telemetry/traceparent';
import type { NoticeTopic } from './topics';

export interface Notification {
  id: string;
  topic: NoticeTopic;
  reply: Reply;
  createdAt: number;
  /** Set once every item is queued; a producer that finds it set has nothing to do. */
  enqueuedAt?: number;
  recipients?: number;
  /** W3C traceparent of the span that queued it: each send links back to it. */
  traceparent?: string;
}

export interface OutboxItem {
  notificationId: string;
  conversationKey: string;
  createdAt: number;
  attempts: number;
  /** Not sent before this time (epoch ms): backoff and Retry-After. */
  notBefore: number;
  lease?: { owner: string; until: number };
  lastError?: string;
  /** When it went to the dead letters (epoch ms). */
  failedAt?: number;
}

export interface SentMark {
  at: number;
  messageId?: string;
  attempts: number;
}

/** Conversations queued at once by `enqueue`. */
const ENQUEUE_AT_ONCE = 16;

/** Notification ids become storage keys: letters, digits, dot, dash, underscore. */
const ID = /^[A-Za-z0-9._-]{1,120}$/;

export class Outbox {
  readonly notifications: Collection<Notification>;
  readonly items: Collection<OutboxItem>;
  readonly sent: Collection<SentMark>;
  readonly deadLetters: Collection<OutboxItem>;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.notifications = new Collection(storage, 'notifications');
    this.items = new Collection(storage, 'outbox');
    this.sent = new Collection(storage, 'outbox-sent');
    this.deadLetters = new Collection(storage, 'outbox-dead');
  }

  static itemId(notificationId: string, conversationKey: string): string {
    return `${notificationId}~${conversationKey}`;
  }

  /** Has a notification with this id been produced already (by anyone)? Doubles as a claim. */
  async exists(id: string): Promise<boolean> {
    return (await this.notifications.get(id)) !== undefined;
  }

  /**
   * Queues `reply` for every conversation, once. Safe to call again with the same id: queued or
   * sent conversations are skipped. Returns how many items this call queued.
   */
  async enqueue(id: string, topic: NoticeTopic, reply: Reply, conversationKeys: string[]): Promise<number> {
    if (!ID.test(id)) throw new Error(`invalid notification id ${JSON.stringify(id)}`);
    const now = this.clock.now();
    const stored = await this.notifications.update(id, (current) =>
      current ? UNCHANGED : { id, topic, reply, createdAt: now, ...traceparentField() },
    );
    if (stored?.enqueuedAt) return 0;
    let queued = 0;
    const queue = async (key: string) => {
      const itemId = Outbox.itemId(id, key);
      if (await this.sent.get(itemId)) return;
      try {
        await this.items.create(itemId, {
          notificationId: id,
          conversationKey: key,
          createdAt: now,
          attempts: 0,
          notBefore: now,
        });
        queued++;
      } catch (error) {
        if (!isEtagConflict(error)) throw error;
      }
    };
    // A few at a time: on a remote store, one after the other would take a round trip per conversation.
    const keys = [...new Set(conversationKeys)];
    for (let i = 0; i < keys.length; i += ENQUEUE_AT_ONCE)
      await Promise.all(keys.slice(i, i + ENQUEUE_AT_ONCE).map(queue));
    await this.notifications.update(id, (current) =>
      current && !current.enqueuedAt
        ? { ...current, enqueuedAt: this.clock.now(), recipients: new Set(conversationKeys).size }
        : UNCHANGED,
    );
    return queued;
  }

  async pending(): Promise<number> {
    return (await this.items.ids()).length;
  }

  /**
   * Expires what only guards against duplicates or records failures: notifications older than
   * `maxAgeMs` whose items are all gone, with their sent marks, and dead letters older than
   * `deadLetterMaxAgeMs`. Returns how many notifications and dead letters were deleted.
   */
  async prune(maxAgeMs = 3 * 86_400_000, deadLetterMaxAgeMs = 7 * 86_400_000): Promise<number> {
    const now = this.clock.now();
    const pendingIds = new Set((await this.items.ids()).map((i) => i.split('~')[0]));
    let pruned = 0;
    for (const n of await this.notifications.all()) {
      if (n.createdAt > now - maxAgeMs || pendingIds.has(n.id)) continue;
      for (const mark of await this.sent.ids(`${n.id}~`)) await this.sent.delete(mark);
      await this.notifications.delete(n.id);
      pruned++;
    }
    const deadIds = await this.deadLetters.ids();
    for (let i = 0; i < deadIds.length; i += 200) {
      for (const [id, dead] of await this.deadLetters.getManyWithIds(deadIds.slice(i, i + 200))) {
        if ((dead.failedAt ?? dead.createdAt) > now - deadLetterMaxAgeMs) continue;
        await this.deadLetters.delete(id);
        pruned++;
      }
    }
    return pruned;
  }
}
