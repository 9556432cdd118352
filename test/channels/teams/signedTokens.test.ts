/**
 * Real signed Bot Framework tokens, end to end. botbuilder is pointed at a loopback OpenID metadata
 * and key server (BotFrameworkCloud) through the settings a sovereign cloud uses; tokens are signed
 * with RSA keys whose `kid`, `n`, `e` and `endorsements` the server publishes. The bot is a
 * UserAssignedMSI bot, so its replies carry a token from App Service's managed identity endpoint,
 * served by the same loopback cloud.
 *
 * A valid token runs the turn and the reply reaches the loopback Bot Connector. Every forgery gets a
 * 401 with a fixed body, exactly one log line that holds nothing of the token, no output on the
 * console (botbuilder prints failures there itself), and no side effect: nothing stored, no reply.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { messageActivity, postActivity } from '../../helpers/activities';
import { BOT_OAUTH_SCOPE, BotFrameworkCloud, type TokenOptions } from '../../helpers/botFrameworkCloud';
import { capturedLogger, RecordingStorage } from '../../helpers/leaks';
import { type Stack, startStack } from '../../helpers/stack';
import { operations, visibleText } from './support';

const APP_ID = '0b4c7f62-3a1e-4d58-9f21-6c0e8d7a5b13';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const REFUSED = { error: { code: 'Unauthorized', message: 'The request needs a valid Bot Framework token.' } };

let cloud: BotFrameworkCloud;
let stack: Stack;
let logLines: string[];
let botStorage: RecordingStorage;
let serviceStorage: RecordingStorage;
const consoleOutput: unknown[][] = [];
const savedEnv: Record<string, string | undefined> = {};

async function managedIdentityBot(endpoints: BotFrameworkCloud['endpoints']) {
  const { log, lines } = capturedLogger();
  const bot = new RecordingStorage();
  const service = new RecordingStorage();
  const s = await startStack({
    log,
    storage: { bot, service },
    bot: { appId: APP_ID, appType: 'UserAssignedMSI', appTenantId: TENANT_ID, botFramework: endpoints },
  });
  return { stack: s, lines, bot, service };
}

beforeAll(async () => {
  // Spied before the first request: the bot's console filter wraps these, so only what it lets through lands here.
  for (const method of ['error', 'warn', 'info', 'log', 'debug', 'trace'] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleOutput.push(args));
  cloud = await new BotFrameworkCloud(APP_ID).start();
  // App Service sets these for a process with a managed identity; MSAL reads them when a token is needed.
  for (const [name, value] of Object.entries(cloud.managedIdentityEnv)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  ({ stack, lines: logLines, bot: botStorage, service: serviceStorage } = await managedIdentityBot(cloud.endpoints));
});

afterAll(async () => {
  await stack?.close();
  await cloud?.stop();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.restoreAllMocks();
});

function send(text: string, authorization: string | undefined, extra: Record<string, unknown> = {}) {
  const activity = messageActivity(stack.connector.url, text, 'alex', { kind: 'personal' }, extra);
  return postActivity(stack.botUrl, activity, authorization === undefined ? {} : { Authorization: authorization });
}

describe('a valid channel token', () => {
  it('should run the turn, and the reply should reach the connector signed with the managed identity', async () => {
    const before = stack.connector.calls.length;
    const res = await send('status chat-dev', `Bearer ${cloud.token(stack.connector.url)}`);
    expect(res.status).toBe(200);
    const replies = stack.connector.calls.slice(before);
    expect(replies).toHaveLength(1);
    expect(visibleText(replies[0].activity)).toContain('chat-dev');
    const issued = cloud.issued.at(-1);
    expect(issued).toMatchObject({ clientId: APP_ID, resource: BOT_OAUTH_SCOPE });
    expect(replies[0].authorization).toBe(`Bearer ${issued?.token}`);
  });

  it('should still be refused by the channel check when the key signs for another channel', async () => {
    const before = { calls: stack.connector.calls.length, logs: logLines.length };
    const token = cloud.token(stack.connector.url, { key: 'slack-only' });
    const res = await send('reset chat-dev', `Bearer ${token}`, { channelId: 'slack' });
    expect(res.status).toBe(200);
    expect(stack.connector.calls.length).toBe(before.calls);
    const logged = logLines.slice(before.logs).map((l) => JSON.parse(l));
    expect(logged).toEqual([
      expect.objectContaining({
        msg: 'activity from a channel the bot is not built for was dropped',
        channelId: 'slack',
      }),
    ]);
    expect(await operations(stack, 'reset')).toEqual([]);
  });
});

describe('a forged or unusable token', () => {
  const hour = 3600;
  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, TokenOptions | string | undefined, RegExp]>([
    ['signed by another key under the published kid', { key: 'attacker' }, /^bad signature$/],
    // botbuilder drops a token of an unknown issuer before its signature is checked, as it does a malformed one.
    ['from another issuer', { claims: { iss: 'https://evil.example' } }, /^malformed token or unknown issuer$/],
    ['for another bot', { claims: { aud: '11111111-2222-4333-8444-555555555555' } }, /^wrong audience$/],
    ['expired an hour ago', { claims: { nbf: now() - 2 * hour, exp: now() - hour } }, /^expired$/],
    ['not valid for another hour', { claims: { nbf: now() + hour } }, /^not valid yet$/],
    ['with alg none', { alg: 'none' }, /^signing algorithm not allowed$/],
    ['signed HS256 with the public key', { alg: 'HS256' }, /^signing algorithm not allowed$/],
    ['without the serviceurl claim', { claims: { serviceurl: undefined } }, /^serviceurl claim does not match/],
    ['for another serviceUrl', { claims: { serviceurl: 'https://evil.example' } }, /^serviceurl claim does not match/],
    ['signed by a key not endorsed for msteams', { key: 'slack-only' }, /^signing key not endorsed for the channel$/],
    ['naming an unknown key', { kid: 'no-such-key' }, /^unknown signing key$/],
    ['that is garbage', 'Bearer a.b.c', /^malformed token or unknown issuer$/],
    ['that is missing', undefined, /^no bearer token$/],
  ])('should answer a token %s with 401 and nothing else', async (_what, token, reason) => {
    const authorization =
      typeof token === 'string' || token === undefined ? token : `Bearer ${cloud.token(stack.connector.url, token)}`;
    const before = {
      calls: stack.connector.calls.length,
      logs: logLines.length,
      bot: botStorage.writes.length,
      service: serviceStorage.writes.length,
      console: consoleOutput.length,
    };
    const res = await send('reset chat-dev', authorization);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual(REFUSED);
    const logged = logLines.slice(before.logs);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({
      level: 'warn',
      msg: 'request refused: no valid Bot Framework token',
      reason: expect.stringMatching(reason),
    });
    // Nothing of the token: not its header, its claims or its signature.
    for (const part of (authorization ?? '').slice(7).split('.'))
      if (part.length > 8) expect(logged[0]).not.toContain(part);
    expect(consoleOutput.slice(before.console)).toEqual([]);
    expect(stack.connector.calls.length).toBe(before.calls);
    expect(botStorage.writes.length).toBe(before.bot);
    expect(serviceStorage.writes.length).toBe(before.service);
    expect(await operations(stack, 'reset')).toEqual([]);
  });
});

describe('keys that cannot be fetched', () => {
  it('should answer 401, not 500, when the key endpoint is unreachable', async () => {
    const gone = await new BotFrameworkCloud(APP_ID).start();
    await gone.stop(); // its port is closed now: the metadata cannot be fetched
    const s = await managedIdentityBot(gone.endpoints);
    try {
      const logsBefore = s.lines.length;
      const activity = messageActivity(s.stack.connector.url, 'reset chat-dev');
      const token = cloud.token(s.stack.connector.url);
      const res = await postActivity(s.stack.botUrl, activity, { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toEqual(REFUSED);
      expect(s.lines.slice(logsBefore).map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({
          msg: 'request refused: no valid Bot Framework token',
          reason: 'signing keys unavailable',
        }),
      ]);
      expect(s.stack.connector.calls).toEqual([]);
      expect(s.bot.writes).toEqual([]);
      expect(await operations(s.stack)).toEqual([]);
    } finally {
      await s.stack.close();
    }
  });
});
