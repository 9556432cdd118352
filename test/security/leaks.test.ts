/**
 * A private feed token typed anywhere — a quote left open, a feed without a scheme, a status or help
 * argument, a description, a comment beside a bad line, an overlong line — must not come back in any
 * echo: the reply, the error text, the service's 422 detail, the logs, or anything stored by the bot or
 * the runtime service (runtime and operation records, events, audit).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import { messageActivity, postActivity } from '../helpers/activities';
import { capturedLogger, RecordingStorage } from '../helpers/leaks';
import { type Stack, startStack } from '../helpers/stack';

const TOKEN = 'feedTok7Qx9Vb2Lm4Zr'; // nothing markdown escapes: an escaped token would hide a leak
const FEED = 'pkgs.example.com/simple';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function stackWithWitnesses() {
  const { log, lines } = capturedLogger();
  const bot = new RecordingStorage();
  const service = new RecordingStorage();
  stack = await startStack({ log, storage: { bot, service } });
  return { stack, lines, bot, service };
}

/** Everywhere the token could have gone, after the operations it may have started have run. */
async function expectNowhere(w: Awaited<ReturnType<typeof stackWithWitnesses>>, replies: unknown): Promise<void> {
  await w.stack.settle();
  // In any case: a verb or a help topic is echoed lower-cased, which leaks the token all the same.
  const token = TOKEN.toLowerCase();
  expect(JSON.stringify(replies).toLowerCase(), 'the HTTP answer').not.toContain(token);
  expect(JSON.stringify(w.stack.connector.calls).toLowerCase(), 'a message or card').not.toContain(token);
  expect(w.lines.join('\n').toLowerCase(), 'a log line').not.toContain(token);
  expect(w.bot.everHeld(token), "the bot's storage (audit, approvals, conversations)").toBe(false);
  expect(w.service.everHeld(token), "the service's storage (runtimes, operations, events)").toBe(false);
}

describe('a feed token typed in a message', () => {
  it.each([
    ['an unterminated quote', `install chat-dev "-i https://${TOKEN}@${FEED} numpy`, /Unterminated quote/],
    ['a feed without a scheme', `install chat-dev\n-i ${TOKEN}@${FEED}\nnumpy`, /needs an http/],
    ['a trusted host with credentials', `install chat-dev\n--trusted-host ${TOKEN}@pkgs.example.com\nnumpy`, /host/],
    ['the status of a URL', `status https://${TOKEN}@${FEED}`, /There is no runtime named/],
    ['help about a URL', `help https://${TOKEN}@${FEED}`, /There is no command/],
    ['a URL as the verb', `https://user:${TOKEN}@${FEED}`, /I don't know/],
    [
      'a description with a URL',
      `create rt-leak --vm-size Standard_E4ds_v4 --description "feed https://${TOKEN}@${FEED}"`,
      /Creating rt-leak/,
    ],
    ['an edited description', `update chat-dev --description https://${TOKEN}@${FEED}`, /chat-dev/],
    [
      'a comment beside a bad line',
      `install chat-dev\n# feed password ${TOKEN}\n-i https://${TOKEN}@${FEED}\nnot a requirement!`,
      /line 3:/,
    ],
    [
      'an overlong line',
      `install chat-dev\n# token ${TOKEN}\n-i https://${TOKEN}@${FEED}/${'x'.repeat(1200)}\nnumpy`,
      /longer than 1000 characters/,
    ],
  ])('should not leak it from %s', async (_what, text, answer) => {
    const w = await stackWithWitnesses();
    const { status, replies } = await w.stack.say(text);
    expect(status).toBe(200);
    expect(JSON.stringify(w.stack.connector.calls)).toMatch(answer);
    await expectNowhere(w, replies);
  });
});

describe('a feed token typed in the install form', () => {
  async function submit(w: Awaited<ReturnType<typeof stackWithWitnesses>>, requirements: string) {
    const activity = {
      ...messageActivity(w.stack.connector.url, ''),
      type: 'invoke',
      name: 'adaptiveCard/action',
      text: undefined,
      replyToId: 'card-install',
      value: { action: { type: 'Action.Execute', verb: Verb.SubmitInstall, data: { name: 'chat-dev', requirements } } },
    };
    return postActivity(w.stack.botUrl, activity);
  }

  it.each([
    ['a comment line beside a bad line', `# our feed, for later: ${TOKEN}\n-i https://${TOKEN}@${FEED}\nbad line!`],
    ['a feed without a scheme', `-i ${TOKEN}@${FEED}\nnumpy`],
    ['a line over 1,000 characters', `# ${TOKEN}\n-i https://${TOKEN}@${FEED}/${'x'.repeat(1200)}\nnumpy`],
  ])('should show the form again without it, for %s', async (_what, requirements) => {
    const w = await stackWithWitnesses();
    const answer = await submit(w, requirements);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('application/vnd.microsoft.card.adaptive');
    expect(answer.body).toContain('cannot be installed as written');
    await expectNowhere(w, answer.body);
  });
});
