/**
 * The bot's /readyz, the path App Service probes: ready while its storage answers, 503 when it does
 * not, with the reason in the log and not in the public answer. Real file storage, made unusable by
 * putting its folder under a regular file (mkdir fails even for root).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BotApp, createBotApp } from '../../../src/channels/teams/app';
import { createLogger } from '../../../src/logger';
import { FileStorage } from '../../../src/storage/fileStorage';
import { botConfig } from '../../helpers/stack';

const APP_ID = '5b7c2c4e-8d1f-4f0a-9b3e-2c6d7e8f9a01';
let app: BotApp | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startBot(storageDir: string, logs: string[]): Promise<string> {
  app = createBotApp({
    config: botConfig({ appId: APP_ID, appPassword: 'secret' }),
    storage: new FileStorage(storageDir),
    log: createLogger('warn', {}, (line) => logs.push(line)),
    serviceUrl: 'http://127.0.0.1:9',
    runTracker: false,
  });
  return app.start();
}

describe('bot /readyz', () => {
  it('should answer 200 without a token while its storage answers', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bot-ready-'));
    const url = await startBot(path.join(dir, 'bot'), []);
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('should answer 503 when its storage cannot be written, and log why without telling the caller', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bot-ready-'));
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const logs: string[] = [];
    const url = await startBot(path.join(file, 'bot'), logs);
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ status: 'degraded' });
    expect(body).not.toContain(dir);
    expect(logs.some((l) => l.includes('not ready') && l.includes('not writable'))).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // alive, just not ready
  });
});
