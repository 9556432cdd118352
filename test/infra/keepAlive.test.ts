/**
 * Both servers keep an idle connection open longer than Node's 5 s default, so a client that sends
 * on it again after a pause is not reset mid-request (the Agents Playground then drops the message).
 * Checked on the real servers through the hint they send, which clients such as undici follow.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotApp, createBotApp } from '../../src/channels/teams/app';
import { KEEP_ALIVE_MS } from '../../src/infra/keepAlive';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../src/service/app';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { serviceConfig } from '../helpers/service';
import { botConfig } from '../helpers/stack';

function keepAliveHeader(url: string): Promise<string | undefined> {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          agent.destroy();
          const header = res.headers['keep-alive'];
          resolve(Array.isArray(header) ? header.join(', ') : header);
        });
      })
      .on('error', reject);
  });
}

describe('keep-alive on both servers', () => {
  const log = createLogger('error', {}, () => undefined);
  let service: RuntimeServiceApp;
  let bot: BotApp;
  let serviceUrl: string;
  let botUrl: string;

  beforeAll(async () => {
    service = createRuntimeServiceApp({
      config: serviceConfig(),
      storage: new MemoryStorage(),
      log,
      runWorkers: false,
    });
    serviceUrl = await service.start();
    bot = createBotApp({ config: botConfig(), storage: new MemoryStorage(), log, serviceUrl, runTracker: false });
    botUrl = await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await service?.stop();
  });

  it('should keep the bot’s idle connections longer than Node’s 5 s, and say so to its callers', async () => {
    expect(KEEP_ALIVE_MS).toBeGreaterThan(5_000);
    expect(await keepAliveHeader(botUrl)).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
  });

  it('should do the same on the runtime service', async () => {
    expect(await keepAliveHeader(serviceUrl)).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
  });
});
