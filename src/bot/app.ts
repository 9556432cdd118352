/**
 * Composition root of the bot: adapter, core dispatcher and tracker, the Teams handler, server.
 * Tests build the same graph with their own storage, clock and service URL.
 */
import type { CloudAdapter } from 'botbuilder';
import type restify from 'restify';
import { RuntimeClient } from '../client/runtimeClient';
import { type Clock, systemClock } from '../clock';
import type { BotConfig } from '../config';
import { ActionRouter } from '../core/actionRouter';
import { Dispatcher } from '../core/dispatcher';
import { openPermissions } from '../core/permissions';
import { OperationTracker } from '../core/tracking/tracker';
import type { Logger } from '../logger';
import type { Storage } from '../storage/storage';
import { createAdapter } from './adapter';
import { readAttachment } from './attachments';
import { ConversationStore } from './conversations';
import { correlation } from './correlation';
import { createBotServer } from './server';
import { TeamsBot } from './teamsBot';
import { tenantGuard } from './tenantGuard';
import { TeamsMessageUpdater } from './updater';

export interface BotApp {
  server: restify.Server;
  adapter: CloudAdapter;
  tracker: OperationTracker;
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
  /** Tests poll the tracker by hand. */
  runTracker?: boolean;
}

export function createBotApp(options: BotAppOptions): BotApp {
  const { config, storage, log } = options;
  const clock = options.clock ?? systemClock;
  const client = new RuntimeClient({
    baseUrl: options.serviceUrl,
    ...(options.serviceToken ? { token: options.serviceToken } : {}),
  });
  const adapter = createAdapter(config, log);
  adapter.use(correlation);
  adapter.use(tenantGuard(config.allowedTenantIds, log));
  const conversations = new ConversationStore(storage, config.allowedServiceUrlHosts);
  const updater = new TeamsMessageUpdater(adapter, config.appId ?? '', conversations, log);
  const tracker = new OperationTracker(storage, client, updater, clock, log.child({ component: 'tracker' }));
  const deps = { client, log, clock, readAttachment, permissions: openPermissions };
  const dispatcher = new Dispatcher(deps, storage);
  const actions = new ActionRouter(deps, storage);
  const bot = new TeamsBot({ dispatcher, actions, tracker, conversations, clock, log });
  const server = createBotServer(adapter, bot, log);
  return {
    server,
    adapter,
    tracker,
    async start() {
      if (options.runTracker !== false) tracker.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      return `http://${config.host}:${server.address().port}`;
    },
    async stop() {
      tracker.stop();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
