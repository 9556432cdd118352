/**
 * The notification machinery in one piece: subscriptions, the event reader and schedules, and the
 * rate-limited outbox. The channel edge supplies only the sender.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { NotificationConfig } from '../../config';
import type { ServiceEvent } from '../../domain/runtime';
import type { Logger } from '../../logger';
import { IDLE_POLL_MS, PollLoop } from '../../infra/pollLoop';
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
  /** Handed each page of service events read (see NotifierOptions). */
  onEvents?: (events: ServiceEvent[]) => Promise<unknown>;
  /** True while someone waits for events (a message follows an operation): the reader stays quick. */
  awaited?: () => boolean;
}

/** Reading events: every second while they come or are awaited, backing off to IDLE_POLL_MS otherwise. */
const BUSY_READ_MS = 1000;

const PRUNE_EVERY_MS = 3_600_000;

export class Notifications {
  readonly subscriptions: SubscriptionStore;
  readonly outbox: Outbox;
  readonly notifier: Notifier;
  readonly worker: OutboxWorker;
  private loop?: PollLoop;
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

  /**
   * Reads events and runs the schedules every second while events come or are awaited, and every
   * few seconds when nothing happens; the outbox drains on its own timer.
   */
  start(): void {
    this.worker.start(500);
    const log = this.o.log.child({ component: 'notifications' });
    this.loop = new PollLoop(() => this.produce(false), {
      busyMs: BUSY_READ_MS,
      idleMs: IDLE_POLL_MS,
      log,
      name: 'reading events or schedules',
    });
    this.loop.start();
  }

  /** Something here will soon cause events (this process started an operation): read them quickly. */
  wake(): void {
    this.loop?.wake();
  }

  /** Stops both loops; resolves when their rounds under way have ended. */
  async stop(): Promise<void> {
    await Promise.all([this.worker.stop(), this.loop?.stop()]);
  }

  /** One full round, for tests and tools: read events, run the schedules, drain what is due. */
  async runOnce(): Promise<TickResult & { queued: number }> {
    const queued = (await this.notifier.pollEvents()) + (await this.notifier.scan(true));
    return { queued, ...(await this.worker.tick()) };
  }

  /**
   * Reads events and runs the schedules; true while there is more to expect soon. A failure is
   * logged by the loop and tried again.
   */
  private async produce(forceScan: boolean): Promise<boolean> {
    const queued = (await this.notifier.pollEvents()) + (await this.notifier.scan(forceScan));
    if (queued > 0) this.worker.wake();
    if (this.o.clock.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = this.o.clock.now();
      await this.outbox.prune();
    }
    return this.notifier.lastPageSize > 0 || queued > 0 || (this.o.awaited?.() ?? false);
  }
}
