/** The bot's HTTP server: POST /api/messages through the adapter, and GET /healthz. */

import type { CloudAdapter } from './sdk';
import restify from 'restify';
import type { Logger } from '../logger';
import type { TeamsBot } from './teamsBot';

export function createBotServer(adapter: CloudAdapter, bot: TeamsBot, log: Logger): restify.Server {
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
  return server;
}
