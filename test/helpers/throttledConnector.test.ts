/**
 * The throttled loopback connector enforces the Teams contract for proactive sends over real HTTP:
 * sliding-window rate limits per conversation and overall, 429 with Retry-After, deterministic
 * faults, size and shape checks. The last block records how botbuilder 4.23.3's connector client
 * behaves against it: it retries 429 (with Retry-After) and 5xx by itself, and how to stop that.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/channels/teams/adapter';
import { NoRetryBotFrameworkAuthentication } from '../../src/channels/teams/auth/noRetryAuth';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  ConfigurationServiceClientCredentialFactory,
  type ConversationReference,
} from '../../src/channels/teams/sdk';
import { createLogger } from '../../src/logger';
import { botConfig } from './stack';
import {
  type ConnectorActivity,
  type FaultCall,
  randomFaults,
  ThrottledConnector,
  type ThrottledConnectorOptions,
} from './throttledConnector';

const connectors: ThrottledConnector[] = [];

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((c) => c.stop()));
});

async function connector(options: ThrottledConnectorOptions = {}): Promise<ThrottledConnector> {
  const c = new ThrottledConnector(options);
  connectors.push(c);
  await c.start();
  return c;
}

/** A fake clock for exact windows: `clock.t` is now in ms. */
function fakeClock() {
  const clock = { t: 1_000_000, now: () => clock.t };
  return clock;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { id?: string; error?: { code: string; message: string } } | undefined;
}

async function request(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
}

function send(c: ThrottledConnector, conversationId: string, text = 'hello', extra: object = {}): Promise<Answer> {
  const path = `/v3/conversations/${encodeURIComponent(conversationId)}/activities`;
  return request(c.url, 'POST', path, { type: 'message', text, ...extra });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits', () => {
  it('should answer the 8th send in a second with 429 and Retry-After 1, then accept after the wait', async () => {
    const c = await connector();
    // All at once, so that they surely arrive within a second even on a busy machine.
    const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => send(c, 'a:1', `n${i}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 201, 201, 201, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused).toMatchObject({ retryAfter: '1', body: { error: { code: 'Throttled' } } });
    expect(refused.body?.error?.message).toMatch(/retry after 1 s/);
    expect(c.accepted('a:1')).toHaveLength(7);
    expect(c.rejected()).toMatchObject([{ conversationId: 'a:1', status: 429, reason: 'throttled', attempt: 1 }]);

    await sleep(Number(refused.retryAfter) * 1000 + 50);
    expect((await send(c, 'a:1', 'n8')).status).toBe(201);
    expect(c.maxObservedRate('a:1', 1_000)).toBeLessThanOrEqual(7);
    expect(c.sent('a:1')).toHaveLength(8); // still a LoopbackConnector
  });

  it('should enforce 8 per 2 s, 60 per 30 s and 1800 per hour exactly, with Retry-After to when the window frees', async () => {
    const clock = fakeClock();
    const c = await connector({ now: clock.now, globalPerSecond: Infinity });
    // 8 per 2 s: 7 sends at once, 1 more after a second, then the 9th within 2 s is refused by 8/2 s alone.
    for (let i = 0; i < 7; i++) expect((await send(c, 'a:2')).status).toBe(201);
    clock.t += 1_000;
    expect((await send(c, 'a:2')).status).toBe(201);
    clock.t += 500;
    expect(await send(c, 'a:2')).toMatchObject({ status: 429, retryAfter: '1' }); // the first 7 leave at +2000
    clock.t += 500;
    expect((await send(c, 'a:2')).status).toBe(201);

    // 60 per 30 s: one send every 300 ms stays under 7/1 s and 8/2 s; the 61st within 30 s is refused.
    const start = clock.t;
    for (let i = 0; i < 60; i++, clock.t += 300) expect((await send(c, 'a:3')).status).toBe(201);
    expect(await send(c, 'a:3')).toMatchObject({ status: 429, retryAfter: '12' }); // 30 s after the first, 18 s on
    clock.t = start + 30_000;
    expect((await send(c, 'a:3')).status).toBe(201);
    expect(c.maxObservedRate('a:3', 30_000)).toBe(60);

    // 1800 per hour: one send every 1.9 s.
    const hourStart = clock.t;
    for (let i = 0; i < 1800; i++, clock.t += 1_900) {
      const a = await send(c, 'a:4');
      if (a.status !== 201) throw new Error(`send ${i} refused: ${JSON.stringify(a)}`);
    }
    expect(await send(c, 'a:4')).toMatchObject({
      status: 429,
      retryAfter: String((hourStart + 3_600_000 - clock.t) / 1000),
    });
    expect(c.maxObservedRate('a:4', 3_600_000)).toBe(1800);
  });

  it('should take custom windows, counting only accepted sends', async () => {
    const c = await connector({ limits: [{ limit: 3, windowMs: 300 }] });
    const first = await Promise.all([1, 2, 3, 4, 5].map((i) => send(c, 'a:5', `n${i}`)));
    expect(first.map((a) => a.status).sort()).toEqual([201, 201, 201, 429, 429]);
    expect(first.filter((a) => a.status === 429).map((a) => a.retryAfter)).toEqual(['1', '1']);
    await sleep(350);
    // The two refused sends did not count: three more fit at once.
    const second = await Promise.all([6, 7, 8].map((i) => send(c, 'a:5', `n${i}`)));
    expect(second.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(c.maxObservedRate('a:5', 300)).toBe(3);
    expect(c.accepted('a:5')).toHaveLength(6);
    expect(c.rejected('a:5')).toHaveLength(2);
  });

  it('should cap sends per second across conversations, and not count other conversations per conversation', async () => {
    const clock = fakeClock();
    const c = await connector({ now: clock.now, globalPerSecond: 5 });
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await send(c, `a:g${i}`));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 429]);
    expect(answers[5]).toMatchObject({ retryAfter: '1', body: { error: { code: 'Throttled' } } });
    clock.t += 999;
    expect((await send(c, 'a:g5')).status).toBe(429);
    clock.t += 1;
    expect((await send(c, 'a:g5')).status).toBe(201);
    expect(c.maxObservedRate(undefined, 1_000)).toBe(5);
    expect(c.maxObservedRate('a:g5', 1_000)).toBe(1);
  });

  it('should count conversation creates, give a 1:1 the same conversation, and not limit updates', async () => {
    const clock = fakeClock();
    const c = await connector({ now: clock.now, limits: [{ limit: 2, windowMs: 1_000 }] });
    const parameters = { isGroup: false, bot: { id: '28:bot' }, members: [{ id: '29:user' }], tenantId: 't' };
    const created = await request(c.url, 'POST', '/v3/conversations', parameters);
    expect(created).toMatchObject({ status: 201, body: { id: 'a:1on1-29:user' } });
    const withMessage = await request(c.url, 'POST', '/v3/conversations', {
      ...parameters,
      activity: { type: 'message', text: 'welcome' },
    });
    expect(withMessage.status).toBe(201);
    expect(c.accepted('a:1on1-29:user').map((m) => [m.kind, m.activity.text])).toEqual([['create', 'welcome']]);
    expect((await send(c, 'a:1on1-29:user')).status).toBe(429); // two creates used the window
    const id = c.accepted()[0].id;
    for (let i = 0; i < 5; i++) {
      const put = await request(c.url, 'PUT', `/v3/conversations/a%3A1on1-29%3Auser/activities/${id}`, {
        type: 'message',
        text: `edit ${i}`,
      });
      expect(put).toMatchObject({ status: 200, body: { id } });
    }
    expect(c.latestText(id)).toBe('edit 4');
    expect(c.created()).toHaveLength(2);
  });

  it('should take 1,000 concurrent requests, and never let accepted sends exceed the global cap', async () => {
    const open = await connector({ globalPerSecond: Infinity });
    const ids = Array.from({ length: 1000 }, (_, i) => `a:fan-${i}`);
    const all = Promise.all(ids.map((id) => send(open, id)));
    await open.waitFor(() => open.accepted().length === 1000, 20_000);
    expect((await all).every((a) => a.status === 201)).toBe(true);
    expect(new Set(open.accepted().map((m) => m.id)).size).toBe(1000);

    const capped = await connector();
    const answers = await Promise.all(ids.map((id) => send(capped, id)));
    const accepted = answers.filter((a) => a.status === 201).length;
    expect(accepted).toBeGreaterThanOrEqual(50);
    expect(accepted + answers.filter((a) => a.status === 429 && a.retryAfter === '1').length).toBe(1000);
    expect(capped.maxObservedRate(undefined, 1_000)).toBeLessThanOrEqual(50);
  });
});

describe('faults', () => {
  it('should answer 403 for blocked conversations and create nothing', async () => {
    const c = await connector({ faults: randomFaults({ seed: 1, blocked: ['a:gone'], writesBlocked: ['a:muted'] }) });
    expect(await send(c, 'a:gone')).toMatchObject({
      status: 403,
      body: { error: { code: 'BotNotInConversationRoster' } },
    });
    expect(await send(c, 'a:muted')).toMatchObject({ status: 403, body: { error: { code: 'MessageWritesBlocked' } } });
    expect((await send(c, 'a:fine')).status).toBe(201);
    expect(c.accepted().map((m) => m.conversationId)).toEqual(['a:fine']);
    expect(c.rejected().map((r) => [r.conversationId, r.status, r.reason, r.delivered])).toEqual([
      ['a:gone', 403, 'fault', false],
      ['a:muted', 403, 'fault', false],
    ]);
  });

  it('should count attempts per conversation and activity, and let a delivered 504 make a duplicate', async () => {
    const calls: FaultCall[] = [];
    const c = await connector({
      faults: (call) => {
        calls.push(call);
        if (call.activity?.text === 'one' && call.attempt === 1) return { status: 502 };
        if (call.conversationId === 'a:y' && call.attempt === 1) return { status: 504, delivered: true };
        return undefined;
      },
    });
    expect((await send(c, 'a:x', 'one')).status).toBe(502);
    expect((await send(c, 'a:x', 'one')).status).toBe(201); // the retry
    expect((await send(c, 'a:x', 'two')).status).toBe(201); // another activity: its own attempt 1
    expect(calls.map((k) => [k.conversationId, k.activity?.text, k.attempt])).toEqual([
      ['a:x', 'one', 1],
      ['a:x', 'one', 2],
      ['a:x', 'two', 1],
    ]);
    expect((await send(c, 'a:y', 'once', { channelData: { key: 'k1' } })).status).toBe(504);
    expect((await send(c, 'a:y', 'once', { channelData: { key: 'k1' } })).status).toBe(201);
    const key = (a: ConnectorActivity) => (a.channelData as { key?: string } | undefined)?.key;
    expect(c.duplicates(key)).toEqual([
      { conversationId: 'a:y', key: 'k1', count: 2, ids: c.accepted('a:y').map((m) => m.id) },
    ]);
    expect(c.accepted('a:y')[0]).toMatchObject({ answeredStatus: 504, attempt: 1 });
    expect(c.duplicates((a) => a.text)).toEqual([expect.objectContaining({ conversationId: 'a:y', key: 'once' })]);
    expect(c.rejected().map((r) => [r.conversationId, r.status, r.delivered])).toEqual([
      ['a:x', 502, false],
      ['a:y', 504, true],
    ]);
  });

  it('should make the seeded random plan reproducible, independent of arrival order', async () => {
    const options = { seed: 42, rate429: 0.2, rate5xx: 0.2, rate412: 0.1, delivered5xx: 0.5 };
    const ids = Array.from({ length: 40 }, (_, i) => `a:r${i}`);
    const run = async () => {
      const c = await connector({ faults: randomFaults(options), globalPerSecond: Infinity });
      const answers = await Promise.all(ids.map((id) => send(c, id, `for ${id}`)));
      const retries = await Promise.all(ids.map((id) => send(c, id, `for ${id}`)));
      return [...answers, ...retries].map((a) => `${a.status}:${a.retryAfter ?? ''}`);
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(3); // it does inject several kinds

    const call = (i: number, attempt: number): FaultCall => ({
      conversationId: `a:${i}`,
      attempt,
      method: 'POST',
      kind: 'send',
      fingerprint: 'f',
    });
    const calls = Array.from({ length: 4000 }, (_, i) => call(i % 2000, 1 + Math.floor(i / 2000)));
    const plan = randomFaults(options);
    const forward = calls.map((k) => JSON.stringify(plan(k) ?? null));
    const again = randomFaults(options);
    const backward = [...calls]
      .reverse()
      .map((k) => JSON.stringify(again(k) ?? null))
      .reverse();
    expect(backward).toEqual(forward);
    const other = calls.map((k) => JSON.stringify(randomFaults({ ...options, seed: 43 })(k) ?? null));
    expect(other).not.toEqual(forward);
    const share = (status: number) => forward.filter((f) => f.includes(`"status":${status}`)).length / calls.length;
    expect(share(429)).toBeGreaterThan(0.17);
    expect(share(429)).toBeLessThan(0.23);
    expect(share(412)).toBeGreaterThan(0.08);
    expect(share(412)).toBeLessThan(0.12);
  });
});

describe('contract', () => {
  it('should refuse a body over 100 KB with 413 MessageSizeTooBig', async () => {
    const c = await connector();
    const big = await send(c, 'a:big', 'x'.repeat(101 * 1024));
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'MessageSizeTooBig' } } });
    expect((await send(c, 'a:big', 'x'.repeat(90 * 1024))).status).toBe(201);
    expect(c.rejected()).toMatchObject([{ status: 413, reason: 'contract' }]);
  });

  it('should want a JSON activity with a type, answer 404 for unknown routes and decode conversation ids', async () => {
    const c = await connector();
    const path = '/v3/conversations/a%3Aone/activities';
    expect(await request(c.url, 'POST', path, '{not json')).toMatchObject({
      status: 400,
      body: { error: { code: 'BadSyntax' } },
    });
    expect(await request(c.url, 'POST', path, { text: 'no type' })).toMatchObject({
      status: 400,
      body: { error: { code: 'BadArgument' } },
    });
    expect((await request(c.url, 'POST', '/v3/conversations/a%3Aone/members', { type: 'message' })).status).toBe(404);
    expect((await request(c.url, 'GET', path)).status).toBe(404);
    expect((await request(c.url, 'DELETE', `${path}/msg-1`)).status).toBe(404);
    expect((await request(c.url, 'PUT', path, { type: 'message' })).status).toBe(404);
    expect((await request(c.url, 'POST', '/v4/conversations/x/activities', { type: 'message' })).status).toBe(404);

    const channel = '19:abc@thread.tacv2;messageid=1700000000000';
    expect((await send(c, channel)).status).toBe(201);
    expect((await request(c.url, 'POST', `${path}/reply%2Dto`, { type: 'message', text: 'r' })).status).toBe(201);
    expect(c.accepted().map((m) => [m.conversationId, m.kind, m.replyToId])).toEqual([
      [channel, 'send', undefined],
      ['a:one', 'reply', 'reply-to'],
    ]);
    expect(c.requests().map((r) => r.status)).toEqual([400, 400, 404, 404, 404, 404, 404, 201, 201]);
  });
});

// ---- botbuilder's connector client against the throttled connector ----

const SETTINGS = {
  MicrosoftAppId: '',
  MicrosoftAppPassword: '',
  MicrosoftAppType: 'MultiTenant',
  MicrosoftAppTenantId: '',
} as ConfigurationBotFrameworkAuthenticationOptions;

function adapterWith(auth: typeof ConfigurationBotFrameworkAuthentication, connectorClientOptions = {}): CloudAdapter {
  const credentials = new ConfigurationServiceClientCredentialFactory(SETTINGS);
  return new CloudAdapter(new auth(SETTINGS, credentials, undefined, undefined, connectorClientOptions));
}

function reference(serviceUrl: string, conversationId: string): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl,
    bot: { id: '28:bot-id', name: 'Runtime Bot' },
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '', tenantId: 't' },
  };
}

/** One proactive sendActivity; returns the error it threw, caught inside the turn. */
async function proactive(adapter: CloudAdapter, serviceUrl: string, conversationId: string): Promise<unknown> {
  let error: unknown;
  await adapter.continueConversationAsync('', reference(serviceUrl, conversationId), async (context) => {
    try {
      await context.sendActivity('notification');
    } catch (e) {
      error = e;
    }
  });
  return error;
}

interface RestErrorShape {
  name: string;
  statusCode: number;
  code: string;
  message: string;
  response: {
    status: number;
    headers: { get(name: string): string | undefined };
    parsedBody: unknown;
    bodyAsText: string;
  };
}

describe('botbuilder CloudAdapter against the throttled connector', () => {
  const log = createLogger('silent');

  it('should surface a 429 as a RestError with statusCode, code and the Retry-After header', async () => {
    const c = await connector({ faults: () => ({ status: 429, retryAfterSeconds: 1 }) });
    const started = Date.now();
    const sdkDefault = adapterWith(ConfigurationBotFrameworkAuthentication);
    const error = (await proactive(sdkDefault, c.url, 'a:sdk429')) as RestErrorShape;
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ name: 'RestError', statusCode: 429, code: 'Throttled' });
    expect(error.message).toBe('Throttled (429)');
    expect(error.response.status).toBe(429);
    expect(error.response.headers.get('retry-after')).toBe('1');
    expect(error.response.parsedBody).toEqual({ error: { code: 'Throttled', message: 'Throttled (429)' } });
    expect(JSON.parse(error.response.bodyAsText)).toEqual(error.response.parsedBody);
    // The SDK retried by itself: 1 + 3 retries, honouring Retry-After: 1 between them.
    expect(c.requests('a:sdk429').map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
  });

  it('should retry a 502 three times with backoff inside one sendActivity, and duplicate a delivered 504', async () => {
    const c = await connector({
      faults: ({ conversationId, attempt }) =>
        conversationId === 'a:sdk502' ? { status: 502 } : attempt === 1 ? { status: 504, delivered: true } : undefined,
    });
    const adapter = adapterWith(ConfigurationBotFrameworkAuthentication); // the SDK's default pipeline
    const [bad, flaky] = await Promise.all([
      proactive(adapter, c.url, 'a:sdk502'),
      proactive(adapter, c.url, 'a:sdk504'),
    ]);
    expect(bad).toMatchObject({ statusCode: 502, code: 'BadGateway' });
    expect(c.requests('a:sdk502').map((r) => r.status)).toEqual([502, 502, 502, 502]);
    // The 504 came after the message was created; the SDK's retry made a second copy, and the send "succeeded".
    expect(flaky).toBeUndefined();
    expect(c.requests('a:sdk504').map((r) => r.status)).toEqual([504, 201]);
    expect(c.duplicates((a) => a.text)).toMatchObject([{ conversationId: 'a:sdk504', count: 2 }]);
  });

  it("should send once with the project's adapter: a 502 is one request, a delivered 504 no duplicate", async () => {
    const c = await connector({
      faults: ({ conversationId, attempt }) =>
        conversationId === 'a:our502' ? { status: 502 } : attempt === 1 ? { status: 504, delivered: true } : undefined,
    });
    const adapter = createAdapter(botConfig(), log);
    expect(await proactive(adapter, c.url, 'a:our502')).toMatchObject({ statusCode: 502 });
    expect(c.requests('a:our502')).toHaveLength(1);
    // The 504 is reported to the caller (the outbox decides); nothing was sent a second time.
    expect(await proactive(adapter, c.url, 'a:our504')).toMatchObject({ statusCode: 504 });
    expect(c.requests('a:our504')).toHaveLength(1);
    expect(c.duplicates((a) => a.text)).toEqual([]);
  });

  it('should not retry a 429 without Retry-After, nor a 403 or 412', async () => {
    const statuses = { 'a:n429': 429, 'a:n403': 403, 'a:n412': 412 } as const;
    const c = await connector({
      faults: ({ conversationId }) => ({ status: statuses[conversationId as keyof typeof statuses] }),
    });
    const adapter = createAdapter(botConfig(), log);
    for (const [id, status] of Object.entries(statuses)) {
      expect(await proactive(adapter, c.url, id)).toMatchObject({ statusCode: status });
      expect(c.requests(id)).toHaveLength(1);
    }
  });

  it('should ignore noRetryPolicy in ConnectorClientOptions', async () => {
    const c = await connector({ faults: () => ({ status: 429, retryAfterSeconds: 0 }) });
    const adapter = adapterWith(ConfigurationBotFrameworkAuthentication, { noRetryPolicy: true });
    expect(await proactive(adapter, c.url, 'a:opt')).toMatchObject({ statusCode: 429 });
    expect(c.requests('a:opt')).toHaveLength(4);
  });

  it('should send each request once without the retry policy, so the 8th proactive send throws 429', async () => {
    const c = await connector({
      faults: ({ conversationId }) => (conversationId === 'a:once' ? { status: 502 } : undefined),
    });
    const adapter = adapterWith(NoRetryBotFrameworkAuthentication);
    expect(await proactive(adapter, c.url, 'a:once')).toMatchObject({ statusCode: 502 });
    expect(c.requests('a:once')).toHaveLength(1);

    const errors: unknown[] = [];
    for (let i = 0; i < 8; i++) errors.push(await proactive(adapter, c.url, 'a:burst'));
    expect(errors.slice(0, 7)).toEqual(Array(7).fill(undefined));
    const error = errors[7] as RestErrorShape;
    expect(error).toMatchObject({ statusCode: 429, code: 'Throttled' });
    expect(error.response.headers.get('retry-after')).toBe('1');
    expect(c.requests('a:burst')).toHaveLength(8);
  });

  it("should swallow an error that escapes the proactive turn in the project's onTurnError", async () => {
    const c = await connector({ faults: () => ({ status: 403 }) });
    const lines: string[] = [];
    const adapter = createAdapter(
      botConfig(),
      createLogger('error', {}, (line) => lines.push(line)),
    );
    await expect(
      adapter.continueConversationAsync('', reference(c.url, 'a:gone'), async (context) => {
        await context.sendActivity('lost');
      }),
    ).resolves.toBeUndefined();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['unhandled turn error']);
  });
});
