/**
 * The Teams edge's composition root: the ports the core needs (message updater, notification
 * sender, attachment reader over Bot Framework), the core from createCore, the adapter with its
 * middleware, the activity handler and the server. Tests build the same graph with their own
 * storage, clock and service URL.
 */
import type { CloudAdapter } from './sdk';
import type restify from 'restify';
import { RuntimeClient } from '../../client/runtimeClient';
import { type Clock, systemClock } from '../../clock';
import type { BotConfig } from '../../config';
import type { Sealer } from '../../core/approvals/sealer';
import { type Core, createCore } from '../../core/createCore';
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

/** The name that keys Teams people in storage (people.ts). */
export const TEAMS_CHANNEL = 'teams';

export interface BotApp extends Pick<Core, 'tracker' | 'approvals' | 'policy' | 'audit' | 'notifications'> {
  server: restify.Server;
  adapter: CloudAdapter;
  core: Core;
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
  const core = createCore({
    storage,
    client,
    clock,
    log,
    config,
    channel: {
      name: TEAMS_CHANNEL,
      updater: tracedUpdater(new TeamsMessageUpdater(adapter, config.appId ?? '', conversations, log)),
      sender: new TeamsNotificationSender(adapter, config.appId ?? '', conversations, log),
      readAttachment,
    },
    ...(options.sealer ? { sealer: options.sealer } : {}),
  });
  const { dispatcher, actions, tracker, approvals, people, notifications } = core;
  const bot = new TeamsBot({ dispatcher, actions, tracker, conversations, approvals, people, clock, log });
  let stopObserving: (() => void) | undefined;
  const server = createBotServer(adapter, bot, log, storage);
  return {
    server,
    adapter,
    core,
    tracker,
    approvals,
    policy: core.policy,
    audit: core.audit,
    notifications,
    async start() {
      await core.start({ background: options.runTracker !== false });
      stopObserving = observeOutboxDepth(() => notifications.outbox.pending());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      return `http://${config.host}:${server.address().port}`;
    },
    async stop() {
      await core.stop();
      stopObserving?.();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
