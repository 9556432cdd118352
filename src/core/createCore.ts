/**
 * Builds the channel-free core from its ports: storage, the runtime service client, the clock, the
 * logger, its settings, and what a channel gives it (message updates, proactive sends with their
 * rate windows, attachment downloads). A channel edge builds the ports, calls this once, routes
 * its activities to `dispatcher` and `actions`, and renders the replies.
 */
import type { RuntimeClient } from '../client/runtimeClient';
import type { Clock } from '../clock';
import type { BotConfig } from '../config';
import type { Logger } from '../logger';
import type { Storage } from '../storage/storage';
import { ActionRouter } from './actionRouter';
import { Sealer } from './approvals/sealer';
import { ApprovalService } from './approvals/service';
import { AuditLog } from './audit/auditLog';
import type { CommandDeps } from './commands/types';
import { PollLoop } from '../infra/pollLoop';
import { Dispatcher } from './dispatcher';
import { Notifications } from './notifications';
import type { NotificationSender } from './notifications/outboxWorker';
import { PeopleDirectory } from './people';
import { policyPermissions } from './permissions';
import { PolicyStore } from './policy/policyStore';
import { type MessageUpdater, OperationTracker } from './tracking/tracker';

/** What a channel gives the core. */
export interface ChannelPorts {
  /** Keys the channel's people apart from another channel's ('teams'). */
  name: string;
  /** Replaces a message the bot sent (progress of an operation, a decided approval). */
  updater: MessageUpdater;
  /** Posts notifications, within the channel's per-conversation windows. */
  sender: NotificationSender;
  /** Downloads a file a user attached. */
  readAttachment: CommandDeps['readAttachment'];
}

export interface CorePorts {
  storage: Storage;
  client: RuntimeClient;
  clock: Clock;
  log: Logger;
  config: Pick<BotConfig, 'policyFile' | 'notifications' | 'retirement'>;
  channel: ChannelPorts;
  /** Seals approval requests; default a random key (fine for one process; index.ts passes the shared one). */
  sealer?: Sealer;
}

export interface Core {
  dispatcher: Dispatcher;
  actions: ActionRouter;
  tracker: OperationTracker;
  approvals: ApprovalService;
  policy: PolicyStore;
  audit: AuditLog;
  people: PeopleDirectory;
  notifications: Notifications;
  /** Loads the policy (a broken one stops start-up with its line and column), then the background work. */
  start(options: { background: boolean }): Promise<void>;
  /** Stops the background work; resolves when every round under way has ended. */
  stop(): Promise<void>;
}

const APPROVAL_SWEEP_MS = 10_000;

export function createCore(ports: CorePorts): Core {
  const { storage, client, clock, log, config, channel } = ports;
  const tracker = new OperationTracker(storage, client, channel.updater, clock, log.child({ component: 'tracker' }));
  const policy = new PolicyStore({ ...(config.policyFile ? { file: config.policyFile } : {}), storage, clock, log });
  const audit = new AuditLog(storage, clock);
  const people = new PeopleDirectory(storage, channel.name);
  const approvals = new ApprovalService({
    storage,
    client,
    policy,
    audit,
    clock,
    log: log.child({ component: 'approvals' }),
    sealer: ports.sealer ?? Sealer.random(),
    updater: channel.updater,
    tracker,
    people,
  });
  const notifications = new Notifications({
    storage,
    client,
    audit,
    clock,
    log,
    config: { ...config.notifications, retirement: config.retirement },
    sender: channel.sender,
    // The tracker follows operations through the events the notifier already reads.
    onEvents: (events) => tracker.onEvents(events),
    awaited: () => tracker.isFollowing(),
  });
  tracker.onFollow(() => notifications.wake());
  const deps: CommandDeps = {
    client,
    log,
    clock,
    readAttachment: channel.readAttachment,
    permissions: policyPermissions(policy),
    changes: approvals,
    approvals,
    policy,
    audit,
    subscriptions: notifications.subscriptions,
    retirement: config.retirement,
  };
  const sweeper = new PollLoop(() => approvals.sweep(), { busyMs: APPROVAL_SWEEP_MS, log, name: 'approval sweep' });
  return {
    dispatcher: new Dispatcher(deps, storage),
    actions: new ActionRouter(deps, storage),
    tracker,
    approvals,
    policy,
    audit,
    people,
    notifications,
    async start({ background }) {
      await policy.load();
      policy.start();
      if (!background) return;
      tracker.start();
      notifications.start();
      sweeper.start();
    },
    async stop() {
      await Promise.all([tracker.stop(), notifications.stop(), sweeper.stop()]);
      policy.stop();
    },
  };
}
