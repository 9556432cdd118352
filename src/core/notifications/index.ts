/**
 * The notification machinery in one piece: subscriptions, the event reader and schedules, and the
 * rate-limited outbox. The channel edge supplies only the sender.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { NotificationConfig } from '../../config';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import type { AuditLog } from '../audit/auditLog';
import { Notifier } from './notifier';
import { Outbox } from './outbox';
import { type NotificationSender, OutboxWorker, type TickResult } from './outboxWorker';
import { RateLimiter } from './rateLimiter';
import { SubscriptionStore } from './subscriptions';

export interface NotificationsOptions {
  storage: Storage;
  client: RuntimeClient;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  config: NotificationConfig;
  sender: NotificationSender;
}

const PRUNE_EVERY_MS = 3_600_000;

export class Notifications {
  readonly subscriptions: SubscriptionStore;
  readonly outbox: Outbox;
  readonly notifier: Notifier;
  readonly worker: OutboxWorker;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private lastPrune = 0;

  constructor(private readonly o: NotificationsOptions) {
    const log = o.log.child({ component: 'notifications' });
    this.subscriptions = new SubscriptionStore(o.storage, o.clock);
    this.outbox = new Outbox(o.storage, o.clock);
    this.notifier = new Notifier({ ...o, log, outbox: this.outbox, subscriptions: this.subscriptions });
    this.worker = new OutboxWorker({
      outbox: this.outbox,
      limiter: new RateLimiter(o.storage, o.clock),
      sender: o.sender,
      clock: o.clock,
      log,
      globalPerSecond: o.config.globalSendsPerSecond,
      onGone: (key, outcome) => this.notifier.dropConversation(key, outcome.reason),
    });
  }

  /** Reads events and runs the schedules every second; the outbox drains on its own timer. */
  start(): void {
    this.worker.start(500);
    this.timer = setInterval(() => void this.produce(false), 1000);
    this.timer.unref();
  }

  stop(): void {
    this.worker.stop();
    if (this.timer) clearInterval(this.timer);
  }

  /** One full round, for tests and tools: read events, run the schedules, drain what is due. */
  async runOnce(): Promise<TickResult & { queued: number }> {
    const queued = (await this.notifier.pollEvents()) + (await this.notifier.scan(true));
    return { queued, ...(await this.worker.tick()) };
  }

  private async produce(forceScan: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const queued = (await this.notifier.pollEvents()) + (await this.notifier.scan(forceScan));
      if (queued > 0) this.worker.wake();
      if (this.o.clock.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = this.o.clock.now();
        await this.outbox.prune();
      }
    } catch (error) {
      this.o.log.warn('notifications: reading events or schedules failed; will retry', { error });
    } finally {
      this.busy = false;
    }
  }
}
