/**
 * Composition root of the bot: adapter, core dispatcher and tracker, the Teams handler, server.
 * Tests build the same graph with their own storage, clock and service URL.
 */
import type { CloudAdapter } from './sdk';
import type restify from 'restify';
import { RuntimeClient } from '../../client/runtimeClient';
import { type Clock, systemClock } from '../../clock';
import type { BotConfig } from '../../config';
import { ActionRouter } from '../../core/actionRouter';
import { Dispatcher } from '../../core/dispatcher';
import { ApprovalService } from '../../core/approvals/service';
import { Sealer } from '../../core/approvals/sealer';
import { AuditLog } from '../../core/audit/auditLog';
import { Notifications } from '../../core/notifications';
import { PeopleDirectory } from '../../core/people';
import { policyPermissions } from '../../core/permissions';
import { PolicyStore } from '../../core/policy/policyStore';
import { OperationTracker } from '../../core/tracking/tracker';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import { observeOutboxDepth, tracedUpdater } from '../../telemetry/delivery';
import { traceStorage } from '../../telemetry/storage';
import { telemetryOn } from '../../telemetry/switch';
import { turnTelemetry } from '../../telemetry/botTurn';
import { createAdapter } from './adapter';
import { readAttachment } from './attachments';
import { allowedChannels, channelGuard } from './middleware/channelGuard';
import { ConversationStore } from './conversations';
import { correlation } from './middleware/correlation';
import { TeamsNotificationSender } from './proactiveSender';
import { createBotServer } from './server';
import { TeamsBot } from './teamsBot';
import { tenantGuard } from './middleware/tenantGuard';
import { TeamsMessageUpdater } from './updater';

export interface BotApp {
  server: restify.Server;
  adapter: CloudAdapter;
  tracker: OperationTracker;
  approvals: ApprovalService;
  policy: PolicyStore;
  audit: AuditLog;
  notifications: Notifications;
  start(): Promise<string>;
  stop(): Promise<void>;
}

export interface BotAppOptions {
  config: BotConfig;
  storage: Storage;
  log: Logger;
  serviceUrl: string;
  serviceToken?: string;
  clock?: Clock;
  /** Tests poll the tracker, the approval sweep and the notifications by hand. */
  runTracker?: boolean;
  /** Seals approval requests; default a random key (fine for one process; index.ts passes the shared one). */
  sealer?: Sealer;
}

/** The notifier's one-second poll of the event log, with room for a slow round. */
const EVENT_FED_READS_MS = 1500;

export function createBotApp(options: BotAppOptions): BotApp {
  const { config, log } = options;
  const storage = traceStorage(options.storage, 'bot');
  const clock = options.clock ?? systemClock;
  const client = new RuntimeClient({
    baseUrl: options.serviceUrl,
    ...(options.serviceToken ? { token: options.serviceToken } : {}),
    // The notifier reads the service's event log every second: between events, the summary and the
    // list pages the bot has are current, so they are used without asking (readCache.ts).
    readCache: { quietMs: options.runTracker !== false ? EVENT_FED_READS_MS : 0 },
  });
  const adapter = createAdapter(config, log);
  adapter.use(correlation);
  adapter.use(channelGuard(allowedChannels(Boolean(config.appId)), log));
  if (telemetryOn()) adapter.use(turnTelemetry());
  adapter.use(tenantGuard(config.allowedTenantIds, log));
  const conversations = new ConversationStore(storage, config.allowedServiceUrlHosts);
  const updater = tracedUpdater(new TeamsMessageUpdater(adapter, config.appId ?? '', conversations, log));
  const tracker = new OperationTracker(storage, client, updater, clock, log.child({ component: 'tracker' }));
  const policy = new PolicyStore({ ...(config.policyFile ? { file: config.policyFile } : {}), storage, clock, log });
  const audit = new AuditLog(storage, clock);
  const people = new PeopleDirectory(storage, 'teams');
  const sealer = options.sealer ?? Sealer.random();
  const approvals = new ApprovalService({
    storage,
    client,
    policy,
    audit,
    clock,
    log: log.child({ component: 'approvals' }),
    sealer,
    updater,
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
    sender: new TeamsNotificationSender(adapter, config.appId ?? '', conversations, log),
  });
  const deps = {
    client,
    log,
    clock,
    readAttachment,
    permissions: policyPermissions(policy),
    changes: approvals,
    approvals,
    policy,
    audit,
    subscriptions: notifications.subscriptions,
    retirement: config.retirement,
  };
  const dispatcher = new Dispatcher(deps, storage);
  const actions = new ActionRouter(deps, storage);
  const bot = new TeamsBot({ dispatcher, actions, tracker, conversations, approvals, people, clock, log });
  let sweeper: NodeJS.Timeout | undefined;
  let stopObserving: (() => void) | undefined;
  const server = createBotServer(adapter, bot, log, storage);
  return {
    server,
    adapter,
    tracker,
    approvals,
    policy,
    audit,
    notifications,
    async start() {
      await policy.load(); // a broken policy stops start-up with its line and column
      policy.start();
      stopObserving = observeOutboxDepth(() => notifications.outbox.pending());
      if (options.runTracker !== false) {
        tracker.start();
        notifications.start();
        sweeper = setInterval(
          () => void approvals.sweep().catch((error) => log.warn('approval sweep failed', { error })),
          10_000,
        );
        sweeper.unref();
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      return `http://${config.host}:${server.address().port}`;
    },
    async stop() {
      tracker.stop();
      notifications.stop();
      policy.stop();
      if (sweeper) clearInterval(sweeper);
      stopObserving?.();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
