/**
 * The bot's HTTP server: POST /api/messages through the adapter; GET /healthz (the process serves)
 * and GET /readyz (its storage answers too), both public for the platform's probes.
 */

import type { CloudAdapter } from './sdk';
import restify from 'restify';
import type { Logger } from '../logger';
import type { Storage } from '../storage/storage';
import type { TeamsBot } from './teamsBot';

export function createBotServer(adapter: CloudAdapter, bot: TeamsBot, log: Logger, storage: Storage): restify.Server {
  const server = restify.createServer({ name: 'runtime-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 1024 * 1024, mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    const body = req.body as { type?: unknown } | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.type !== 'string') {
      res.send(400, {
        error: { code: 'BadRequest', message: 'The body must be a Bot Framework activity with a type.' },
      });
      return;
    }
    try {
      await adapter.process(req, res, (context) => bot.run(context));
    } catch (error) {
      log.error('activity processing failed', { error });
      if (!res.headersSent) res.send(500);
    }
  });
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });
  // Not the runtime service's health: while it is down the bot still answers, and says so in chat.
  // The detail goes to the log only: this endpoint faces the internet.
  server.get('/readyz', async (_req, res) => {
    const storageHealth = await storage.health().catch((e: Error) => ({ ok: false, detail: e.message }));
    if (!storageHealth.ok) log.warn('not ready: storage does not answer', { detail: storageHealth.detail });
    res.send(storageHealth.ok ? 200 : 503, { status: storageHealth.ok ? 'ok' : 'degraded' });
  });
  return server;
}
