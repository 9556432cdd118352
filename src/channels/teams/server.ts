/**
 * The bot's HTTP server: POST /api/messages through the adapter; GET /healthz (the process serves)
 * and GET /readyz (its storage answers too), both public for the platform's probes.
 *
 * A request is checked in two steps. First its Bot Framework token: any refusal — a forged or
 * unsigned token, the wrong key, issuer, audience or serviceurl, a token expired or not valid yet, or
 * signing keys that cannot be fetched — is a 401 with a fixed body and one log line that names the
 * reason but holds nothing of the token. Only then the turn; a turn that fails is our bug, a 500.
 */
import restify from 'restify';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import { readActivity } from './activityShape';
import type { BotAdapter } from './adapter';
import type { TeamsBot } from './teamsBot';
import { TokenRefusedError } from './auth/tokenRefusal';
import { keepConnectionsAlive } from '../../infra/keepAlive';

const UNAUTHORIZED = {
  error: { code: 'Unauthorized', message: 'The request needs a valid Bot Framework token.' },
};
const INTERNAL = { error: { code: 'InternalError', message: 'The bot could not process the activity.' } };

export function createBotServer(adapter: BotAdapter, bot: TeamsBot, log: Logger, storage: Storage): restify.Server {
  const server = restify.createServer({ name: 'runtime-bot', handleUncaughtExceptions: false });
  keepConnectionsAlive(server.server);
  server.use(restify.plugins.bodyParser({ maxBodySize: 1024 * 1024, mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    const reading = readActivity(req.body);
    if ('problem' in reading) {
      res.send(400, { error: { code: 'BadRequest', message: reading.problem } });
      return;
    }
    const { activity } = reading;
    const header = req.headers.authorization;
    let auth;
    try {
      auth = await adapter.authenticate(activity, typeof header === 'string' ? header : '');
    } catch (error) {
      const reason = error instanceof TokenRefusedError ? error.reason : 'invalid token';
      log.warn('request refused: no valid Bot Framework token', {
        reason,
        channelId: String(activity.channelId).slice(0, 40),
      });
      res.send(401, UNAUTHORIZED);
      return;
    }
    try {
      const invokeResponse = await adapter.run(auth, activity, (context) => bot.run(context));
      res.send(invokeResponse?.status ?? 200, invokeResponse?.body);
    } catch (error) {
      log.error('activity processing failed', { error });
      if (!res.headersSent) res.send(500, INTERNAL);
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
