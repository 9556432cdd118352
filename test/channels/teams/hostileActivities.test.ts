/**
 * Activities no honest Teams client sends, answered without a turn error: data nested 200,000 deep,
 * form input that is small in characters but large in bytes, a tenant id that is not text, and
 * activities from channels the bot is not built for (whose user ids nobody vouches for).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../../src/core/actions/verbs';
import { messageActivity, postActivity, TENANT } from '../../helpers/activities';
import { capturedLogger } from '../../helpers/leaks';
import { type Stack, startStack } from '../../helpers/stack';
import { expectNoInternals, operations, visibleText } from './support';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(bot: Parameters<typeof startStack>[0] = {}) {
  const { log, lines } = capturedLogger();
  stack = await startStack({ ...bot, log });
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stack, logs };
}

function invoke(s: Stack, verb: string, data: unknown) {
  return {
    ...messageActivity(s.connector.url, ''),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId: 'card-1',
    value: { action: { type: 'Action.Execute', verb, data } },
  };
}

/** POSTs raw JSON text, for bodies too deep for JSON.stringify to build. */
async function postRaw(botUrl: string, body: string) {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  return { status: res.status, body: await res.text() };
}

describe('card data', () => {
  it('should answer a click whose data is nested 200,000 deep with a message, not a failed turn', async () => {
    const { stack: s, logs } = await start();
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const shell = JSON.stringify(invoke(s, Verb.Reset, { name: 'chat-dev', deep: '@DEEP@' }));
    const answer = await postRaw(s.botUrl, shell.replace('"@DEEP@"', deep));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 200 });
    expectNoInternals(answer.body);
    expect(logs().filter((l) => l.level === 'error')).toEqual([]);
  });

  it.each([
    ['CJK characters', '漢'],
    ['quotes', '"'],
  ])('should show the install form again for 8,000 %s in both fields', async (_what, unit) => {
    const { stack: s } = await start();
    const text = unit.repeat(8_000);
    const answer = await postActivity(
      s.botUrl,
      invoke(s, Verb.SubmitInstall, { name: 'chat-dev', requirements: text, flowDag: text }),
    );
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    // The form comes back with what was typed, cut to fit the card.
    expect(answer.body).toContain(`"value":${JSON.stringify(unit.repeat(100)).slice(0, -1)}`);
    expect(Buffer.byteLength(JSON.stringify(body.value))).toBeLessThanOrEqual(28 * 1024);
  });
});

describe('tenant ids', () => {
  it.each([
    ['an array', [TENANT]],
    ['a number', 42],
    ['an object', { toLowerCase: 'x' }],
  ])('should drop a message whose tenant id is %s when tenants are restricted', async (_what, id) => {
    const { stack: s, logs } = await start({ bot: { allowedTenantIds: [TENANT] } });
    const activity = messageActivity(s.connector.url, 'reset chat-dev');
    const { status } = await postActivity(s.botUrl, { ...activity, channelData: { tenant: { id } } });
    expect(status).toBe(200);
    expect(s.connector.calls).toEqual([]);
    expect(await operations(s)).toEqual([]);
    expect(logs().filter((l) => l.level === 'error')).toEqual([]);
    expect(logs().find((l) => l.msg === 'activity from a tenant that is not allowed was dropped')).toBeDefined();
  });
});

describe('channels', () => {
  it.each(['directline', 'webchat', 'slack', 'MSTEAMS ', ''])(
    'should drop an activity from the %j channel and trust none of its ids',
    async (channelId) => {
      const { stack: s, logs } = await start();
      const { status } = await postActivity(s.botUrl, {
        ...messageActivity(s.connector.url, 'reset chat-dev'),
        channelId,
      });
      expect(status).toBe(200);
      expect(s.connector.calls).toEqual([]);
      expect(await operations(s)).toEqual([]);
      expect(await s.botStorage.list('conversations/')).toEqual([]);
      expect(
        logs().find((l) => l.msg === 'activity from a channel the bot is not built for was dropped'),
      ).toMatchObject({ channelId: channelId.slice(0, 40) });
    },
  );

  it('should answer a click from another channel with a 403 refusal, not a card', async () => {
    const { stack: s } = await start();
    const answer = await postActivity(s.botUrl, {
      ...invoke(s, Verb.Reset, { name: 'chat-dev' }),
      channelId: 'directline',
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 403, value: { code: 'Forbidden' } });
    expect(await operations(s)).toEqual([]);
  });

  it.each(['msteams', 'emulator'])('should serve the %s channel when authentication is off', async (channelId) => {
    const { stack: s } = await start();
    const { replies } = await s.say('status chat-dev', 'alex', { kind: 'personal' }, { channelId });
    expect(replies).toHaveLength(1);
    expect(visibleText(s.connector.calls[0]?.activity)).toContain('chat-dev');
  });
});

describe('fields of the wrong type', () => {
  it.each([
    ['no conversation', { conversation: undefined }, 'The activity has no conversation id.'],
    ['a conversation id that is a number', { conversation: { id: 7 } }, 'The activity has no conversation id.'],
    ['no service URL', { serviceUrl: undefined }, 'The activity has no http(s) service URL to answer at.'],
    [
      'a service URL that is an object',
      { serviceUrl: { href: 'x' } },
      'The activity has no http(s) service URL to answer at.',
    ],
    // Found by the fuzz test (seed 429046339): the reply's URL grew past what the connector takes.
    [
      'a message id of 3,000 emoji',
      { id: '😀'.repeat(3000) },
      "The activity's id is longer than 512 characters: no reply could address it.",
    ],
    [
      'a conversation id of 600 characters',
      { conversation: { id: 'a'.repeat(600), conversationType: 'personal' } },
      "The activity's conversation id is longer than 512 characters: no reply could address it.",
    ],
  ])('should refuse an activity with %s with 400 and the reason', async (_what, fields, message) => {
    const { stack: s, logs } = await start();
    const answer = await postActivity(s.botUrl, { ...messageActivity(s.connector.url, 'status'), ...fields });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'BadRequest', message } });
    expect(logs().filter((l) => l.level === 'error')).toEqual([]);
  });

  it.each([
    ['a locale that is an object', { locale: { en: 'US' } }],
    ['a message id that is a number', { id: 42 }],
    ['a recipient that is text', { recipient: 'bot' }],
    ['an object id that is a list', { from: { id: 'user-id-0', name: 'Alex', aadObjectId: ['a', 'b'] } }],
    ['members added that are not a list', { type: 'conversationUpdate', membersAdded: 'everyone' }],
    ['text that is a number', { text: 12 }],
  ])('should answer an activity with %s without a failed turn', async (_what, fields) => {
    const { stack: s, logs } = await start();
    const answer = await postActivity(s.botUrl, { ...messageActivity(s.connector.url, 'status'), ...fields });
    expect(answer.status).toBe(200);
    expect(logs().filter((l) => l.level === 'error')).toEqual([]);
    for (const call of s.connector.calls) expectNoInternals(visibleText(call.activity));
  });
});
