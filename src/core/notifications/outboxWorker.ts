/**
 * Drains the outbox within the channel's limits: per conversation (the sender's windows) and a
 * global cap per second, both taken in storage so replicas share them (the global one by claims,
 * without a record that every send rewrites: rateLimiter.ts). An item is leased before it is
 * sent, so two replicas never send the same one. The sender judges each attempt: `retryLater` is
 * retried after the time it asks for or a backoff; `gone` means the bot is gone from the
 * conversation and its subscription is dropped; `failed` goes to the dead letters with the reason.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { IDLE_POLL_MS, PollLoop } from '../../infra/pollLoop';
import { ContentionError, type Stored } from '../../storage/collection';
import { type BackoffPolicy, backoffDelay } from '../../infra/retry';
import { RecordLeases } from '../../storage/lease';
import { isEtagConflict } from '../../storage/storage';
import { traceNotificationSend } from '../../telemetry/delivery';
import type { Reply } from '../replies';
import { Outbox, type OutboxItem } from './outbox';
import { RateLimiter, type Reservation, type Window } from './rateLimiter';

/**
 * One send as the channel judges it; the outbox acts on the verdict, never on the channel's codes.
 * `reason` is kept with a retried or dead item; `status` (the channel's own) only labels telemetry.
 */
export type SendOutcome =
  | { kind: 'sent'; messageId?: string }
  /** Refused for now (throttled, busy, no answer): again after `afterMs` at the earliest, or a backoff. */
  | { kind: 'retryLater'; reason: string; afterMs?: number; status?: number }
  /** The bot can no longer post there (removed, blocked). */
  | { kind: 'gone'; reason: string; status?: number }
  /** Refused for good. */
  | { kind: 'failed'; reason: string; status?: number };

/** The channel edge: posts a new message to a conversation it has a stored reference for. */
export interface NotificationSender {
  /** The channel's limits for sends into one conversation. */
  readonly conversationWindows: readonly Window[];
  send(conversationKey: string, reply: Reply): Promise<SendOutcome>;
}

export interface OutboxWorkerOptions {
  outbox: Outbox;
  limiter: RateLimiter;
  sender: NotificationSender;
  clock: Clock;
  log: Logger;
  globalPerSecond: number;
  /** The bot was removed or blocked there: drop the subscription (and audit it). */
  onGone(conversationKey: string, outcome: Extract<SendOutcome, { kind: 'gone' }>): Promise<void>;
  concurrency?: number;
  maxAttempts?: number;
}

const LEASE_MS = 60_000;
const CONTENDED_WAIT_MS = 1000;

export interface TickResult {
  sent: number;
  retried: number;
  dropped: number;
  failed: number;
}

/** An item found due, with the eTag it had when read. */
interface Due {
  id: string;
  item: Stored<OutboxItem>;
}

export class OutboxWorker {
  private readonly leases: RecordLeases<OutboxItem>;
  private loop?: PollLoop;
  /** Items in the queue at the last pass, due or not. */
  private queued = 0;
  private stopped = false;

  constructor(private readonly o: OutboxWorkerOptions) {
    const owner = `outbox-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.leases = new RecordLeases(o.outbox.items, owner, o.clock, LEASE_MS);
  }

  /** Passes every `intervalMs` while the queue holds items; rarely while it is empty (see wake). */
  start(intervalMs = 500): void {
    this.stopped = false;
    this.loop = new PollLoop(
      async () => {
        await this.tick();
        return this.queued > 0;
      },
      { busyMs: intervalMs, idleMs: Math.max(intervalMs, IDLE_POLL_MS), log: this.o.log, name: 'outbox pass' },
    );
    this.loop.start();
  }

  /** Items were queued by this process: start a pass now. */
  wake(): void {
    this.loop?.wake();
  }

  /** Stops the passes; resolves when the one under way (and its sends) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.stop();
  }

  /** One pass over the items that are due; sends run concurrently, reservations in order. */
  async tick(): Promise<TickResult> {
    const result: TickResult = { sent: 0, retried: 0, dropped: 0, failed: 0 };
    const inFlight = new Set<Promise<void>>();
    for (const due of await this.dueItems()) {
      if (this.stopped) break;
      const id = due.id;
      const claimed = await this.claim(due);
      if (!claimed) continue;
      // The global slot first: waiting for it takes time, and a conversation slot taken before the
      // wait would be dated too early, letting that conversation's next sends through too soon.
      await this.reserveGlobal();
      const conv = await this.o.limiter
        .reserve(`conversation.${claimed.conversationKey}`, this.o.sender.conversationWindows)
        .catch((error: unknown): Reservation => {
          // Sends to this conversation from other replicas keep winning its record: try it later.
          if (error instanceof ContentionError) return { ok: false, waitMs: CONTENDED_WAIT_MS };
          throw error;
        });
      if (!conv.ok) {
        await this.leases.release(id, { notBefore: this.o.clock.now() + conv.waitMs });
        continue;
      }
      while (inFlight.size >= (this.o.concurrency ?? 16)) await Promise.race(inFlight);
      const send = this.send(id, claimed, result).catch((error) =>
        this.o.log.warn('sending a notification failed; it stays queued', { item: id, error }),
      );
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send));
    }
    await Promise.all(inFlight);
    return result;
  }

  /** Items due now and not leased, oldest first, as read: their eTags guard the claims. */
  private async dueItems(): Promise<Due[]> {
    const now = this.o.clock.now();
    const ids = await this.o.outbox.items.ids();
    this.queued = ids.length;
    const due: Due[] = [];
    for (let i = 0; i < ids.length; i += 200) {
      for (const [id, item] of await this.o.outbox.items.getManyWithIds(ids.slice(i, i + 200))) {
        if (item.notBefore <= now && this.leases.free(item)) due.push({ id, item });
      }
    }
    return due.sort((a, b) => a.item.createdAt - b.item.createdAt);
  }

  /**
   * Leases the item as this pass read it, without reading it again: a worker that changed it since
   * (another replica took it, or sent it) makes the write fail, and this one skips the item.
   */
  private async claim({ id, item }: Due): Promise<OutboxItem | undefined> {
    if (item.notBefore > this.o.clock.now() || !this.leases.free(item)) return undefined;
    return this.leases.take(id, item);
  }

  private async reserveGlobal(): Promise<void> {
    for (;;) {
      const slot = await this.o.limiter.claim('global', { limit: this.o.globalPerSecond, ms: 1000 });
      if (slot.ok) return;
      await (this.o.clock.sleep?.(slot.waitMs) ?? new Promise((r) => setTimeout(r, slot.waitMs)));
    }
  }

  private async send(id: string, item: OutboxItem, result: TickResult): Promise<void> {
    const notification = await this.o.outbox.notifications.get(item.notificationId);
    if (!notification) {
      this.o.log.warn('queued item without its notification; dropped', { item: id });
      await this.o.outbox.items.delete(id);
      return;
    }
    // A producer that raced a finished send may have queued the item again: the mark says it went.
    if (await this.o.outbox.sent.get(id)) {
      await this.o.outbox.items.delete(id);
      return;
    }
    const attempts = item.attempts + 1;
    const outcome = await traceNotificationSend(notification, item, () =>
      this.o.sender.send(item.conversationKey, notification.reply),
    );
    if (outcome.kind === 'sent') {
      await this.o.outbox.sent
        .create(id, {
          at: this.o.clock.now(),
          attempts,
          ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
        })
        .catch((error) => (isEtagConflict(error) ? undefined : Promise.reject(error)));
      await this.o.outbox.items.delete(id);
      result.sent++;
      return;
    }
    const reason = outcome.reason;
    if (outcome.kind === 'gone') {
      await this.o.outbox.items.delete(id);
      await this.o.onGone(item.conversationKey, outcome);
      result.dropped++;
    } else if (outcome.kind === 'retryLater' && attempts < (this.o.maxAttempts ?? 10)) {
      const wait = backoffDelay(SEND_BACKOFF, attempts, outcome.afterMs);
      await this.leases.release(id, { attempts, notBefore: this.o.clock.now() + wait, lastError: reason });
      result.retried++;
    } else {
      await this.o.outbox.deadLetters.put(id, { ...item, attempts, lastError: reason, failedAt: this.o.clock.now() });
      await this.o.outbox.items.delete(id);
      this.o.log.error('a notification could not be delivered', { item: id, reason, attempts });
      result.failed++;
    }
  }
}

/**
 * 1 s, 2 s, 4 s … up to 5 minutes, with ±20 % jitter so retries from many items spread out; never
 * sooner than the connector's Retry-After.
 */
const SEND_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 300_000, jitter: [0.8, 1.2] };

/** The wait before a send's next attempt, without a Retry-After. */
export function backoffMs(attempt: number): number {
  return backoffDelay(SEND_BACKOFF, attempt);
}
